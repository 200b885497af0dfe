# Windows: an NSIS installer (cpack -G NSIS on a Windows build machine). NOT BUILT HERE: this
# project is built and tested on Debian only; this is the starting point, see installer/README.md.
#
# Policy on Windows: IT sets HKLM\Software\Policies\Signet by GPO, or imports windows/signet-policy.reg
# (reg import) in the same deployment step; lib/config reads that key (QSettings::NativeFormat). This
# installer has no policy option of its own: installer/README.md, docs/admin.md "Windows".
set(CPACK_GENERATOR NSIS)
set(CPACK_NSIS_PACKAGE_NAME "Signet")
set(CPACK_NSIS_DISPLAY_NAME "Signet")
set(CPACK_NSIS_MUI_ICON ${PROJECT_SOURCE_DIR}/resources/icons/signet.ico) # to be drawn from the SVG
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_INSTALLED_ICON_NAME bin\\\\signet.exe)
set(CPACK_NSIS_CREATE_ICONS_EXTRA "CreateShortCut '$SMPROGRAMS\\\\$STARTMENU_FOLDER\\\\Signet.lnk' '$INSTDIR\\\\bin\\\\signet.exe'")
# The agent starts at every logon (the per-machine Run key), like the XDG autostart entry on Linux.
set(CPACK_NSIS_EXTRA_INSTALL_COMMANDS "WriteRegStr HKLM 'Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run' 'SignetAgent' '\\\"$INSTDIR\\\\bin\\\\signet-agent.exe\\\"'")
# Uninstalling removes what was installed; the policy key belongs to the GPO and stays, users' vaults stay.
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS "DeleteRegValue HKLM 'Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run' 'SignetAgent'")
