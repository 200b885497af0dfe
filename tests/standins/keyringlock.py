#!/usr/bin/python3
"""Locks or unlocks the throwaway keyring of scripts/with-keyring.sh (gnome-keyring on the session bus), for tests of
a locked keychain. Prints the collection's state afterwards ("locked" or "unlocked").

  keyringlock.py lock
  keyringlock.py unlock PASSWORD

Locking is the Secret Service's Lock. Unlocking normally shows a password prompt, which a headless test cannot
answer: gnome-keyring's own UnlockWithMasterPassword takes the password over a plain (unencrypted) session of this
connection instead — acceptable for a throwaway keyring whose password is in the script that made it.
"""
import sys
from gi.repository import Gio, GLib

bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
SERVICE = 'org.freedesktop.secrets'
PATH = '/org/freedesktop/secrets'
COLLECTION = '/org/freedesktop/secrets/collection/login'

def call(interface, method, args, reply):
    return bus.call_sync(SERVICE, PATH, interface, method, args, GLib.VariantType(reply), Gio.DBusCallFlags.NONE, 10000, None)

if sys.argv[1] == 'lock':
    call('org.freedesktop.Secret.Service', 'Lock', GLib.Variant('(ao)', ([COLLECTION],)), '(aoo)')
elif sys.argv[1] == 'unlock':
    _, session = call('org.freedesktop.Secret.Service', 'OpenSession', GLib.Variant('(sv)', ('plain', GLib.Variant('s', ''))), '(vo)').unpack()
    call('org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface', 'UnlockWithMasterPassword',
         GLib.Variant('(o(oayays))', (COLLECTION, (session, b'', sys.argv[2].encode(), 'text/plain'))), '()')
locked = bus.call_sync(SERVICE, COLLECTION, 'org.freedesktop.DBus.Properties', 'Get', GLib.Variant('(ss)', ('org.freedesktop.Secret.Collection', 'Locked')),
                       GLib.VariantType('(v)'), Gio.DBusCallFlags.NONE, 10000, None).unpack()[0]
print('locked' if locked else 'unlocked')
