# macOS: a drag-and-drop disk image for people, a productbuild .pkg for IT (MDM). NOT BUILT HERE:
# this project is built and tested on Debian only; see installer/README.md.
set(CPACK_GENERATOR "DragNDrop;productbuild")
set(CPACK_DMG_VOLUME_NAME "Signet")
set(CPACK_PRODUCTBUILD_IDENTIFIER "invalid.signet")
# The LaunchAgent starts the agent at every login for every user (the .pkg installs it).
install(FILES ${CMAKE_CURRENT_LIST_DIR}/invalid.signet.agent.plist DESTINATION /Library/LaunchAgents COMPONENT main)
