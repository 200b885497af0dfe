#include "desktopappearance.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusError>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QGuiApplication>
#include <QLoggingCategory>

namespace Signet {

namespace {

Q_LOGGING_CATEGORY(lcAppearance, "signet.ui.appearance", QtInfoMsg)

const QString PortalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString PortalPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString SettingsInterface = QStringLiteral("org.freedesktop.portal.Settings");
const QString AppearanceNamespace = QStringLiteral("org.freedesktop.appearance");
const QString ColorSchemeKey = QStringLiteral("color-scheme");

// Read() answers a variant inside a variant (the portal's documented quirk); SettingChanged sends one.
DesktopAppearance::Scheme schemeFrom(QVariant value)
{
    while (value.canConvert<QDBusVariant>() && value.userType() == qMetaTypeId<QDBusVariant>())
        value = value.value<QDBusVariant>().variant();
    bool ok = false;
    const uint number = value.toUInt(&ok);
    if (!ok || number > 2)
        return DesktopAppearance::Scheme::NoPreference;
    return DesktopAppearance::Scheme(number);
}

} // namespace

DesktopAppearance::DesktopAppearance(QObject *parent)
    : QObject(parent)
    , m_platformPalette(QGuiApplication::palette())
{
}

void DesktopAppearance::start()
{
    // Without a session bus libdbus would try to autolaunch one (dbus-launch on X11): not for this.
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        return;
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected() || !bus.interface())
        return;
    // Only a portal that runs: starting one by D-Bus activation can take seconds, and the window
    // must not wait for its colours.
    if (!bus.interface()->isServiceRegistered(PortalService).value()) {
        qCDebug(lcAppearance) << "no desktop portal; keeping the platform's palette";
        return;
    }
    if (!bus.connect(PortalService, PortalPath, SettingsInterface, QStringLiteral("SettingChanged"), this,
                     SLOT(onSettingChanged(QDBusMessage))))
        qCDebug(lcAppearance).noquote() << "cannot follow the portal's changes:" << bus.lastError().message();
    QDBusMessage read = QDBusMessage::createMethodCall(PortalService, PortalPath, SettingsInterface, QStringLiteral("Read"));
    read << AppearanceNamespace << ColorSchemeKey;
    auto *watcher = new QDBusPendingCallWatcher(bus.asyncCall(read, 2000), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, &DesktopAppearance::onRead);
}

void DesktopAppearance::onRead(QDBusPendingCallWatcher *watcher)
{
    watcher->deleteLater();
    const QDBusPendingReply<QDBusVariant> reply = *watcher;
    if (reply.isError()) {
        qCDebug(lcAppearance).noquote() << "the portal has no colour scheme:" << reply.error().message();
        return;
    }
    apply(schemeFrom(QVariant::fromValue(reply.value())));
}

void DesktopAppearance::onSettingChanged(const QDBusMessage &message)
{
    const QList<QVariant> arguments = message.arguments();
    if (arguments.size() == 3 && arguments.at(0).toString() == AppearanceNamespace && arguments.at(1).toString() == ColorSchemeKey)
        apply(schemeFrom(arguments.at(2)));
}

void DesktopAppearance::apply(Scheme scheme)
{
    const bool changed = scheme != m_scheme;
    m_scheme = scheme;
    const bool wantDark = scheme == Scheme::PreferDark && !isDark(m_platformPalette);
    if (wantDark && !m_applied) {
        qCInfo(lcAppearance) << "the desktop prefers dark: using a dark palette";
        QGuiApplication::setPalette(darkPalette());
        m_applied = true;
    } else if (!wantDark && m_applied) {
        QGuiApplication::setPalette(m_platformPalette);
        m_applied = false;
    }
    if (changed)
        Q_EMIT schemeChanged(scheme);
}

bool DesktopAppearance::isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightnessF() < 0.5;
}

QPalette DesktopAppearance::darkPalette()
{
    const QColor window(0x2b, 0x2b, 0x2b);
    const QColor text(0xe8, 0xe8, 0xe8);
    const QColor disabledText(0x80, 0x80, 0x80);
    QPalette palette(window);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    palette.setColor(QPalette::AlternateBase, QColor(0x33, 0x33, 0x33));
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::BrightText, Qt::white);
    palette.setColor(QPalette::Highlight, QColor(0x4c, 0x6e, 0xf5));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
    palette.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3a, 0x3a));
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, disabledText);
    palette.setColor(QPalette::Light, QColor(0x50, 0x50, 0x50));
    palette.setColor(QPalette::Midlight, QColor(0x45, 0x45, 0x45));
    palette.setColor(QPalette::Mid, QColor(0x30, 0x30, 0x30));
    palette.setColor(QPalette::Dark, QColor(0x20, 0x20, 0x20));
    palette.setColor(QPalette::Shadow, Qt::black);
    for (const QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, disabledText);
    return palette;
}

} // namespace Signet
