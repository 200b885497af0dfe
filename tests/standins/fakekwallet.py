#!/usr/bin/python3
"""A KWallet daemon that knows nothing: org.kde.kwalletd5 on the session bus, answering the three calls QtKeychain's
KWallet backend makes before it looks for an entry (networkWallet, open, entryType -> no such entry). Enough to make
QtKeychain take its KWallet path, which reads any entry it finds in its plaintext file first
(tests/standins/keychain.test.mjs). Prints "ready" once the name is on the bus."""
import sys

from gi.repository import Gio, GLib

INTERFACE = """<node><interface name='org.kde.KWallet'>
<method name='networkWallet'><arg type='s' direction='out'/></method>
<method name='open'><arg type='s' direction='in'/><arg type='x' direction='in'/><arg type='s' direction='in'/><arg type='i' direction='out'/></method>
<method name='entryType'><arg type='i' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='i' direction='out'/></method>
</interface></node>"""


def call(connection, sender, path, interface, method, parameters, invocation):
    if method == 'networkWallet':
        invocation.return_value(GLib.Variant('(s)', ('kdewallet',)))
    elif method == 'open':
        invocation.return_value(GLib.Variant('(i)', (1,)))
    elif method == 'entryType':
        invocation.return_value(GLib.Variant('(i)', (0,)))  # KWallet's "Unknown": no such entry


def acquired(connection, name):
    print('ready', flush=True)


def bus_acquired(connection, name):
    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE)
    connection.register_object('/modules/kwalletd5', node.interfaces[0], call, None, None)


Gio.bus_own_name(Gio.BusType.SESSION, 'org.kde.kwalletd5', Gio.BusNameOwnerFlags.NONE, bus_acquired, acquired,
                 lambda *args: sys.exit('fakekwallet: could not own org.kde.kwalletd5'))
GLib.MainLoop().run()
