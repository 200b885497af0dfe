// The tray icon (Tray.qml, Qt.labs.platform backed by Qt Widgets): it loads with a QApplication and
// shows the state at a glance — icon and tooltip follow the session — and its menu offers the
// providers while nobody is signed in, and does what its entries say. (Whether the desktop shows it
// is the desktop's business.)

#include "fakeagent.h"
#include "sessioncontroller.h"

#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQmlExpression>
#include <QQmlExtensionPlugin>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

using Signet::SessionController;

class tst_Tray : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void followsTheSession();
    void menuEntriesAct();

private:
    QVariant evaluate(QObject *tray, const QString &expression)
    {
        QQmlExpression e(qmlContext(tray), tray, expression);
        const QVariant value = e.evaluate();
        if (e.hasError())
            qWarning() << e.error();
        return value;
    }
    // Whether the menu shows an entry with this text; with `click`, also triggers it as a click does.
    // (QTRY_* evaluate their expression more than once: never click inside one.)
    bool menuEntry(QObject *tray, const QString &text, bool click)
    {
        const QString quoted = QString::fromUtf8(QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
        return evaluate(tray, QStringLiteral("(function(text, click) { for (let i = 0; i < menu.items.length; ++i) {"
                                             " const item = menu.items[i];"
                                             " if (item.text === text && item.visible) { if (click) item.triggered(); return true; } }"
                                             " return false; })(%1, %2)")
                                  .arg(quoted, click ? QStringLiteral("true") : QStringLiteral("false")))
            .toBool();
    }
};

void tst_Tray::followsTheSession()
{
    ScopedRuntimeDir runtime;
    FakeAgent agent;
    agent.autoRespond = true;
    agent.providers = FakeAgent::sampleProviders();
    QVERIFY(agent.listen(runtime.socketPath()));

    QQmlEngine engine;
    QList<QQmlError> warnings;
    connect(&engine, &QQmlEngine::warnings, this, [&warnings](const QList<QQmlError> &list) { warnings += list; });
    SessionController controller;
    controller.setOpenBrowser(false);
    controller.start();
    QTRY_COMPARE(controller.agentState(), SessionController::AgentState::Ready);
    QQuickWindow window;

    QQmlComponent component(&engine, QUrl(QStringLiteral("qrc:/qt/qml/Signet/App/Tray.qml")));
    QVERIFY2(component.isReady(), qPrintable(component.errorString()));
    std::unique_ptr<QObject> tray(component.createWithInitialProperties(
        {{QStringLiteral("controller"), QVariant::fromValue(&controller)}, {QStringLiteral("window"), QVariant::fromValue(&window)}}));
    QVERIFY2(tray, qPrintable(component.errorString()));

    QCOMPARE(evaluate(tray.get(), QStringLiteral("icon.source")).toUrl(), QUrl(QStringLiteral("qrc:/signet/icons/signet.svg")));
    QCOMPARE(tray->property("tooltip").toString(), QStringLiteral("Signet: not signed in"));
    // Open, a separator, one entry per provider, a separator, Quit (Sign out is hidden).
    QTRY_COMPARE(evaluate(tray.get(), QStringLiteral("menu.items.length")).toInt(), 2 + 3 + 3);
    QCOMPARE(evaluate(tray.get(), QStringLiteral("menu.items[2].text")).toString(), QStringLiteral("Sign in with Demo identity provider"));
    QCOMPARE(evaluate(tray.get(), QStringLiteral("menu.items[3].enabled")).toBool(), false); // broken

    agent.sendEvent(QStringLiteral("signed-in"),
                    {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600)}});
    QTRY_COMPARE(evaluate(tray.get(), QStringLiteral("icon.source")).toUrl(), QUrl(QStringLiteral("qrc:/signet/icons/signet-signed-in.svg")));
    QCOMPARE(tray->property("tooltip").toString(), QStringLiteral("Signet: signed in as alice@example.com"));
    QTRY_COMPARE(evaluate(tray.get(), QStringLiteral("menu.items.length")).toInt(), 5); // the providers are gone

    agent.sendEvent(QStringLiteral("attention-needed"), {{QStringLiteral("message"), QStringLiteral("Renewal failed.")}});
    QTRY_COMPARE(evaluate(tray.get(), QStringLiteral("icon.source")).toUrl(), QUrl(QStringLiteral("qrc:/signet/icons/signet-attention.svg")));
    QCOMPARE(tray->property("tooltip").toString(), QStringLiteral("Signet: sign in again soon"));

    agent.close();
    QTRY_COMPARE(tray->property("tooltip").toString(), QStringLiteral("Signet: the agent is not running"));

    QStringList problems;
    for (const QQmlError &warning : std::as_const(warnings))
        problems.append(warning.toString());
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

// Sign in with a provider (and the window comes up to show the sign-in), Open Signet, Sign out: each
// entry reaches the agent or the window.
void tst_Tray::menuEntriesAct()
{
    ScopedRuntimeDir runtime;
    FakeAgent agent;
    agent.autoRespond = true;
    agent.providers = FakeAgent::sampleProviders();
    QVERIFY(agent.listen(runtime.socketPath()));

    QQmlEngine engine;
    SessionController controller;
    controller.setOpenBrowser(false);
    controller.start();
    QTRY_COMPARE(controller.agentState(), SessionController::AgentState::Ready);
    QQuickWindow window;
    QQmlComponent component(&engine, QUrl(QStringLiteral("qrc:/qt/qml/Signet/App/Tray.qml")));
    std::unique_ptr<QObject> tray(component.createWithInitialProperties(
        {{QStringLiteral("controller"), QVariant::fromValue(&controller)}, {QStringLiteral("window"), QVariant::fromValue(&window)}}));
    QVERIFY2(tray, qPrintable(component.errorString()));
    QTRY_COMPARE(evaluate(tray.get(), QStringLiteral("menu.items.length")).toInt(), 2 + 3 + 3);

    QVERIFY(!window.isVisible());
    QVERIFY(!menuEntry(tray.get(), QStringLiteral("Sign out"), false)); // hidden while nobody is signed in
    QVERIFY(menuEntry(tray.get(), QStringLiteral("Sign in with Acme"), true));
    QTRY_COMPARE(agent.count(QStringLiteral("signin")), 1);
    QCOMPARE(agent.lastRequest(QStringLiteral("signin")).params.value(QLatin1String("provider")).toString(), QStringLiteral("acme"));
    QVERIFY(window.isVisible()); // the window shows where to finish it
    QCOMPARE(agent.count(QStringLiteral("signout")), 0);

    // The sign-in succeeds: the agent answers the signin request with the identity.
    agent.sendResult(agent.lastRequest(QStringLiteral("signin")).id,
                     {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("acme"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600)}});
    QTRY_COMPARE(controller.state(), SessionController::State::SignedIn);
    window.hide();
    QVERIFY(menuEntry(tray.get(), QStringLiteral("Open Signet"), true));
    QVERIFY(window.isVisible());

    QTRY_VERIFY(menuEntry(tray.get(), QStringLiteral("Sign out"), false));
    QVERIFY(menuEntry(tray.get(), QStringLiteral("Sign out"), true));
    QTRY_COMPARE(agent.count(QStringLiteral("signout")), 1);
    QCOMPARE(agent.count(QStringLiteral("signin")), 1);
}

int main(int argc, char *argv[])
{
    QTemporaryDir runtime;
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
    QApplication app(argc, argv); // Qt.labs.platform's tray icon is a Qt Widgets one
    tst_Tray test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_tray.moc"
