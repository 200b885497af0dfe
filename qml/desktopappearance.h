#pragma once

#include <QObject>
#include <QPalette>
#include <QDBusMessage>
#include <QVariant>

class QDBusPendingCallWatcher;

namespace Signet {

// Light or dark like the desktop. Qt 6.4 has no colour-scheme API and its generic platform theme
// does not read the desktop portal's org.freedesktop.appearance color-scheme (GNOME 42+, KDE 5.24+):
// this reads it, follows its changes, and gives the application a dark palette when the desktop
// prefers dark while Qt's palette is light. The QML Theme derives its colours from the palette,
// so everything follows. Without a portal (or without D-Bus) nothing changes.
//
// Logging category: signet.ui.appearance.
class DesktopAppearance : public QObject
{
    Q_OBJECT
public:
    // The portal's values (org.freedesktop.appearance color-scheme).
    enum class Scheme {
        NoPreference = 0,
        PreferDark = 1,
        PreferLight = 2,
    };
    Q_ENUM(Scheme)

    explicit DesktopAppearance(QObject *parent = nullptr);

    // Asks the portal (asynchronously, without starting it when it is not running) and subscribes
    // to its changes.
    void start();
    Scheme scheme() const { return m_scheme; }

    // The palette used for "prefer dark" when the platform's is light.
    static QPalette darkPalette();
    static bool isDark(const QPalette &palette);

Q_SIGNALS:
    void schemeChanged(Signet::DesktopAppearance::Scheme scheme);

private Q_SLOTS:
    // org.freedesktop.portal.Settings.SettingChanged(namespace, key, value), taken as the message
    // itself (a slot with a QDBusVariant parameter is not matched on Qt 6.4).
    void onSettingChanged(const QDBusMessage &message);

private:
    void onRead(QDBusPendingCallWatcher *watcher);
    void apply(Scheme scheme);

    Scheme m_scheme = Scheme::NoPreference;
    QPalette m_platformPalette;
    bool m_applied = false;
};

} // namespace Signet
