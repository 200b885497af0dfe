// Main.qml in-process against the fake agent: the right page for each state, keyboard use, and an
// accessible name on every control. QML warnings (binding errors, type errors) fail the test.

#include "fakeagent.h"
#include "testmain.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQmlExpression>
#include <QQmlExtensionPlugin>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QDir>
#include <QTest>

#include <memory>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

namespace {

// Items a Repeater creates are not QObject children of the page: walk the visual tree instead.
QList<QQuickItem *> allItems(QQuickItem *root)
{
    QList<QQuickItem *> items;
    for (QQuickItem *child : root->childItems()) {
        items.append(child);
        items += allItems(child);
    }
    return items;
}

// The StackLayout's pages, in Main.qml's order.
enum Page { Connecting, AgentUnavailable, SignIn, SigningIn, Failure, SignedIn };

} // namespace

class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void providersAsButtons();
    void everyControlHasAnAccessibleName();
    void signInWithKeyboardAndCancel();
    void failureThenBack();
    void deviceSignInShowsTheCode();
    void signedInShowsIdentityAndSignsOut();
    void agentUnavailable();

private:
    bool load();
    int page() const;
    QQuickItem *item(const QString &objectName) const;
    void click(QQuickItem *item);
    // With SIGNET_SCREENSHOT_DIR set, saves the window as <name>.png there (for reviewing the UI).
    void screenshot(const QString &name);

    std::unique_ptr<QTemporaryDir> m_runtime;
    std::unique_ptr<FakeAgent> m_agent;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
    QList<QQmlError> m_warnings;
};

void tst_MainWindow::init()
{
    m_runtime = std::make_unique<QTemporaryDir>();
    QVERIFY(m_runtime->isValid());
    m_agent = std::make_unique<FakeAgent>();
    m_agent->autoRespond = true;
    m_agent->providers = FakeAgent::sampleProviders();
    QVERIFY(m_agent->listen(m_runtime->filePath(QStringLiteral("agent.sock"))));
    m_warnings.clear();
}

void tst_MainWindow::cleanup()
{
    m_engine.reset();
    m_window = nullptr;
    m_agent.reset();
    m_runtime.reset();
    QStringList warnings;
    for (const QQmlError &warning : std::as_const(m_warnings))
        warnings.append(warning.toString());
    QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join(QLatin1Char('\n'))));
}

bool tst_MainWindow::load()
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    connect(m_engine.get(), &QQmlEngine::warnings, this, [this](const QList<QQmlError> &warnings) { m_warnings += warnings; });
    m_engine->setInitialProperties({{QStringLiteral("socketPath"), m_agent->socketPath()}, {QStringLiteral("openBrowser"), false}});
    m_engine->load(QUrl(QStringLiteral("qrc:/qt/qml/Signet/App/Main.qml")));
    if (m_engine->rootObjects().isEmpty())
        return false;
    m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
    return m_window && QTest::qWaitForWindowExposed(m_window);
}

int tst_MainWindow::page() const
{
    return m_window->findChild<QObject *>(QStringLiteral("pages"))->property("currentIndex").toInt();
}

QQuickItem *tst_MainWindow::item(const QString &objectName) const
{
    const auto items = allItems(m_window->contentItem());
    for (QQuickItem *candidate : items) {
        if (candidate->objectName() == objectName)
            return candidate;
    }
    return nullptr;
}

void tst_MainWindow::click(QQuickItem *target)
{
    QVERIFY(target);
    QVERIFY(target->isVisible());
    const QPointF center = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
    QTest::mouseClick(m_window, Qt::LeftButton, Qt::NoModifier, center.toPoint());
}

void tst_MainWindow::screenshot(const QString &name)
{
    const QString directory = qEnvironmentVariable("SIGNET_SCREENSHOT_DIR");
    if (directory.isEmpty())
        return;
    QTest::qWait(50); // let the last state render
    QVERIFY(m_window->grabWindow().save(QDir(directory).filePath(name + QStringLiteral(".png"))));
}

void tst_MainWindow::providersAsButtons()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QQuickItem *demo = item(QStringLiteral("provider-demo"));
    QQuickItem *broken = item(QStringLiteral("provider-broken"));
    QQuickItem *acme = item(QStringLiteral("provider-acme"));
    QVERIFY(demo && broken && acme);
    QCOMPARE(demo->property("text").toString(), QStringLiteral("Sign in with Demo identity provider"));
    QVERIFY(demo->isEnabled());
    QVERIFY(!broken->isEnabled());
    QVERIFY(acme->isEnabled());
    // In the agent's order, top to bottom.
    QTRY_VERIFY2(demo->mapToScene({}).y() < broken->mapToScene({}).y() && broken->mapToScene({}).y() < acme->mapToScene({}).y(),
                 qPrintable(QStringLiteral("%1 %2 %3").arg(demo->mapToScene({}).y()).arg(broken->mapToScene({}).y()).arg(acme->mapToScene({}).y())));
    screenshot(QStringLiteral("signin"));
}

void tst_MainWindow::everyControlHasAnAccessibleName()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    int controls = 0;
    const auto items = allItems(m_window->contentItem());
    for (QQuickItem *control : items) {
        // Controls (buttons, text areas, busy indicators) and the pages' labels; not the
        // internals of the controls themselves.
        if (!control->inherits("QQuickControl") && !control->inherits("QQuickTextArea") && !control->inherits("QQuickLabel"))
            continue;
        QQmlContext *context = qmlContext(control);
        if (!context || context->baseUrl().scheme() != QLatin1String("qrc") || !context->baseUrl().path().startsWith(QLatin1String("/qt/qml/Signet/")))
            continue;
        if (control->inherits("QQuickScrollView"))
            continue; // a container; the text area inside is named
        QQmlExpression name(context, control, QStringLiteral("Accessible.name"));
        const QString value = name.evaluate().toString();
        const QString where = QStringLiteral("%1 %2 in %3").arg(QString::fromLatin1(control->metaObject()->className()), control->objectName(),
                                                                context->baseUrl().toString());
        // Labels that show nothing yet (e.g. the address before it is known) may be empty.
        if (control->inherits("QQuickLabel") && control->property("text").toString().isEmpty())
            continue;
        QVERIFY2(!value.isEmpty(), qPrintable(QStringLiteral("no Accessible.name: ") + where));
        ++controls;
    }
    QVERIFY2(controls >= 15, qPrintable(QString::number(controls)));
}

void tst_MainWindow::signInWithKeyboardAndCancel()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    // The first available provider has the focus; Tab skips the unavailable one.
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("provider-demo")));
    QTest::keyClick(m_window, Qt::Key_Tab);
    QCOMPARE(m_window->activeFocusItem(), item(QStringLiteral("provider-acme")));
    QTest::keyClick(m_window, Qt::Key_Space);
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    QCOMPARE(signin.params.value(QLatin1String("provider")).toString(), QStringLiteral("acme"));
    QTRY_COMPARE(page(), int(SigningIn));

    const QString url = QStringLiteral("http://127.0.0.1:4000/auth?client_id=signet&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback%2Facme"
                                       "&response_type=code&scope=openid%20email%20profile&state=Zm9vYmFyYmF6cXV4cXV1eGNvcmdl"
                                       "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("provider"), QStringLiteral("acme")}, {QStringLiteral("url"), url}},
                       signin.id);
    QTRY_COMPARE(item(QStringLiteral("authorizationUrl"))->property("text").toString(), url);
    QVERIFY(item(QStringLiteral("copyButton"))->isEnabled());
    screenshot(QStringLiteral("signing-in"));

    // Escape cancels; the agent answers the signin "cancelled" and the window goes back.
    m_agent->handler = [this, signin](const FakeAgent::Request &request) {
        if (request.method != QLatin1String("cancel"))
            return false;
        m_agent->sendError(signin.id, QStringLiteral("cancelled"), QStringLiteral("The sign-in was cancelled."), request.connection);
        m_agent->sendResult(request.id, {{QStringLiteral("cancelled"), true}}, request.connection);
        return true;
    };
    QTest::keyClick(m_window, Qt::Key_Escape);
    QTRY_COMPARE(m_agent->count(QStringLiteral("cancel")), 1);
    QTRY_COMPARE(page(), int(SignIn));
}

void tst_MainWindow::failureThenBack()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    click(item(QStringLiteral("provider-demo")));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, QStringLiteral("access_denied"),
                       QStringLiteral("You declined the sign-in at Demo identity provider."));
    QTRY_COMPARE(page(), int(Failure));
    QCOMPARE(item(QStringLiteral("errorMessage"))->property("text").toString(), QStringLiteral("You declined the sign-in at Demo identity provider."));
    screenshot(QStringLiteral("failure"));
    click(item(QStringLiteral("backButton")));
    QTRY_COMPARE(page(), int(SignIn));
}

// Where IT allows it, a provider offers a sign-in with a code on another device; the page then shows
// the code (and no browser address).
void tst_MainWindow::deviceSignInShowsTheCode()
{
    QJsonObject acme = FakeAgent::provider(QStringLiteral("acme"), QStringLiteral("Acme"));
    acme.insert(QStringLiteral("device_flow"), true);
    m_agent->providers = {FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo identity provider")), acme};
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QVERIFY(!item(QStringLiteral("device-demo"))->isVisible()); // not allowed for demo
    QTRY_VERIFY(item(QStringLiteral("device-acme"))->isVisible());
    click(item(QStringLiteral("device-acme")));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    QCOMPARE(signin.params.value(QLatin1String("device")).toBool(), true);
    m_agent->sendEvent(QStringLiteral("device-code"),
                       {{QStringLiteral("user_code"), QStringLiteral("WDJB-MJHT")}, {QStringLiteral("verification_uri"), QStringLiteral("https://login.example/device")}},
                       signin.id);
    QTRY_COMPARE(page(), int(SigningIn));
    QTRY_COMPARE(item(QStringLiteral("userCode"))->property("text").toString(), QStringLiteral("WDJB-MJHT"));
    QVERIFY(item(QStringLiteral("userCode"))->isVisible());
    QVERIFY(!item(QStringLiteral("authorizationUrl"))->isVisible());
    screenshot(QStringLiteral("device-code"));
}

void tst_MainWindow::signedInShowsIdentityAndSignsOut()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    m_agent->sendEvent(QStringLiteral("signed-in"),
                       {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Carol Example"),
                                                                             QStringLiteral("carol@example.net"), false, 3 * 3600 + 5 * 60 + 30)}});
    QTRY_COMPARE(page(), int(SignedIn));
    QCOMPARE(item(QStringLiteral("name"))->property("text").toString(), QStringLiteral("Carol Example"));
    QCOMPARE(item(QStringLiteral("email"))->property("text").toString(), QStringLiteral("carol@example.net (not verified)"));
    QCOMPARE(item(QStringLiteral("provider"))->property("text").toString(), QStringLiteral("Signed in with Demo identity provider"));
    QCOMPARE(item(QStringLiteral("timeLeft"))->property("text").toString(), QStringLiteral("Session ends in 3 h 5 min."));
    screenshot(QStringLiteral("signed-in"));

    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("signOutButton")));
    QTest::keyClick(m_window, Qt::Key_Space);
    QTRY_COMPARE(m_agent->count(QStringLiteral("signout")), 1);
    m_agent->sendResult(m_agent->lastRequest(QStringLiteral("signout")).id, {{QStringLiteral("signed_out"), true}});
    QTRY_COMPARE(page(), int(SignIn));
}

void tst_MainWindow::agentUnavailable()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    m_agent->close();
    QTRY_COMPARE(page(), int(AgentUnavailable));
    QVERIFY(!item(QStringLiteral("agentProblem"))->property("text").toString().isEmpty());
    screenshot(QStringLiteral("agent-unavailable"));
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("retryButton")));
    QVERIFY(m_agent->listen(m_agent->socketPath()));
    QTest::keyClick(m_window, Qt::Key_Space);
    QTRY_COMPARE(page(), int(SignIn));
}

SIGNET_TEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
