// Light or dark like the desktop: the portal's org.freedesktop.appearance color-scheme, played here
// by a fake portal on the session bus (scripts/with-keyring.sh provides a private one).

#include "desktopappearance.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusVariant>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTest>

using Signet::DesktopAppearance;

// org.freedesktop.portal.Settings, as much as Signet uses of it.
class FakePortal : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Settings")
public:
    uint scheme = 1;

public Q_SLOTS:
    QDBusVariant Read(const QString &nameSpace, const QString &key)
    {
        if (nameSpace != QLatin1String("org.freedesktop.appearance") || key != QLatin1String("color-scheme"))
            return QDBusVariant(QVariant());
        // The real portal wraps the value in a second variant.
        return QDBusVariant(QVariant::fromValue(QDBusVariant(scheme)));
    }
};

class tst_DesktopAppearance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void darkPaletteIsDark();
    void followsThePortal();

private:
    QDBusConnection m_portalBus{QString()};
    FakePortal m_portal;
};

void tst_DesktopAppearance::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        QSKIP("no session bus; run under scripts/with-keyring.sh (CI does)");
    // A connection of its own, so that the fake portal is a different peer, as the real one is.
    m_portalBus = QDBusConnection::connectToBus(QDBusConnection::SessionBus, QStringLiteral("fake-portal"));
    QVERIFY(m_portalBus.isConnected());
    if (m_portalBus.interface()->isServiceRegistered(QStringLiteral("org.freedesktop.portal.Desktop")).value())
        QSKIP("a real desktop portal runs on this bus");
    QVERIFY(m_portalBus.registerObject(QStringLiteral("/org/freedesktop/portal/desktop"), &m_portal, QDBusConnection::ExportAllSlots));
    QVERIFY(m_portalBus.registerService(QStringLiteral("org.freedesktop.portal.Desktop")));
}

void tst_DesktopAppearance::darkPaletteIsDark()
{
    const QPalette dark = DesktopAppearance::darkPalette();
    QVERIFY(DesktopAppearance::isDark(dark));
    QVERIFY(dark.color(QPalette::WindowText).lightnessF() > 0.8);
    QVERIFY(dark.color(QPalette::Disabled, QPalette::Text) != dark.color(QPalette::Active, QPalette::Text));
}

void tst_DesktopAppearance::followsThePortal()
{
    QVERIFY(!DesktopAppearance::isDark(QGuiApplication::palette())); // offscreen: light
    const QPalette light = QGuiApplication::palette();
    DesktopAppearance appearance;
    QSignalSpy changed(&appearance, &DesktopAppearance::schemeChanged);
    appearance.start();
    QTRY_COMPARE(appearance.scheme(), DesktopAppearance::Scheme::PreferDark);
    QVERIFY(DesktopAppearance::isDark(QGuiApplication::palette()));

    // The person switches to light: SettingChanged.
    QDBusMessage signal = QDBusMessage::createSignal(QStringLiteral("/org/freedesktop/portal/desktop"), QStringLiteral("org.freedesktop.portal.Settings"),
                                                     QStringLiteral("SettingChanged"));
    signal << QStringLiteral("org.freedesktop.appearance") << QStringLiteral("color-scheme") << QVariant::fromValue(QDBusVariant(uint(2)));
    QVERIFY(m_portalBus.send(signal));
    QTRY_COMPARE(appearance.scheme(), DesktopAppearance::Scheme::PreferLight);
    QCOMPARE(QGuiApplication::palette().color(QPalette::Window), light.color(QPalette::Window));
    QCOMPARE(changed.size(), 2);

    // Other settings are not the colour scheme.
    QDBusMessage other = QDBusMessage::createSignal(QStringLiteral("/org/freedesktop/portal/desktop"), QStringLiteral("org.freedesktop.portal.Settings"),
                                                    QStringLiteral("SettingChanged"));
    other << QStringLiteral("org.gnome.desktop.interface") << QStringLiteral("color-scheme") << QVariant::fromValue(QDBusVariant(uint(1)));
    QVERIFY(m_portalBus.send(other));
    QTest::qWait(200);
    QCOMPARE(appearance.scheme(), DesktopAppearance::Scheme::PreferLight);
}

QTEST_MAIN(tst_DesktopAppearance)
#include "tst_desktopappearance.moc"
