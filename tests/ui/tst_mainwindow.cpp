// Main.qml in-process against the fake agent: the right page for each state, keyboard use, and an
// accessible name on every control. QML warnings (binding errors, type errors) fail the test.

#include "desktopappearance.h"
#include "fakeagent.h"
#include "quickitems.h"
#include "testmain.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQmlExtensionPlugin>
#include <QQuickItem>
#include <QQuickWindow>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QDir>
#include <QTest>
#include <QTranslator>

#include <memory>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

namespace {

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
    void kioskSignInNamesItsWindow();
    void signedInShowsIdentityAndSignsOut();
    void agentUnavailable();
    void brandedProvidersAndItMessage();
    void failureSaysWhatToDo();
    void identityCardRolesAndApps();
    void consentPromptByKeyboard();
    void attentionOffersSignInAgain();
    void germanFitsTheSmallestWindow();
    void darkPaletteIsFollowed();

private:
    // An agent that speaks the grant protocol, with one app of the user's and one of IT's.
    void useGrantProtocol();
    void signInAs(const QJsonObject &identity);
    // Every visible text and control of the current page lies within the window's width.
    void verifyFitsHorizontally();
    bool load(bool openBrowser = false);
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

bool tst_MainWindow::load(bool openBrowser)
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    connect(m_engine.get(), &QQmlEngine::warnings, this, [this](const QList<QQmlError> &warnings) { m_warnings += warnings; });
    m_engine->setInitialProperties({{QStringLiteral("socketPath"), m_agent->socketPath()}, {QStringLiteral("openBrowser"), openBrowser}});
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
    // A page that just appeared is still being laid out (and its scroll view sized): click where
    // the item has come to rest, not where it was a frame ago.
    QPointF previous(-1, -1);
    for (int i = 0; i < 40; ++i) {
        const QPointF now = target->mapToScene(QPointF(target->width() / 2, target->height() / 2));
        if (now == previous)
            break;
        previous = now;
        QTest::qWait(50);
    }
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
    const auto countNamedControls = [this](int *controls) {
        *controls = 0;
        const auto items = allItems(m_window->contentItem());
        for (QQuickItem *control : items) {
            // Controls (buttons, text areas, busy indicators, frames) and the pages' labels; not the
            // internals of the controls themselves.
            if (!control->inherits("QQuickControl") && !control->inherits("QQuickTextArea") && !control->inherits("QQuickLabel"))
                continue;
            QQmlContext *context = qmlContext(control);
            if (!context || context->baseUrl().scheme() != QLatin1String("qrc") || !context->baseUrl().path().startsWith(QLatin1String("/qt/qml/Signet/")))
                continue;
            if (control->inherits("QQuickScrollView") || control->inherits("QQuickScrollBar"))
                continue; // containers; what they hold is named
            const QString value = accessibleName(control);
            const QString where = QStringLiteral("%1 %2 in %3").arg(QString::fromLatin1(control->metaObject()->className()), control->objectName(),
                                                                    context->baseUrl().toString());
            // Labels that show nothing yet (e.g. the address before it is known) may be empty.
            if (control->inherits("QQuickLabel") && control->property("text").toString().isEmpty())
                continue;
            QVERIFY2(!value.isEmpty(), qPrintable(QStringLiteral("no Accessible.name: ") + where));
            ++*controls;
        }
    };

    useGrantProtocol();
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    int controls = 0;
    countNamedControls(&controls);
    QVERIFY2(controls >= 15, qPrintable(QString::number(controls)));

    // The signed-in screen with everything it can show: roles, apps, a consent prompt, a warning.
    QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice Example"), QStringLiteral("alice@example.com"), true, 3600);
    identity.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("staff")});
    identity.insert(QStringLiteral("roles_complete"), false);
    signInAs(identity);
    m_agent->sendEvent(QStringLiteral("attention-needed"), {{QStringLiteral("message"), QStringLiteral("Renewal failed.")}});
    m_agent->sendEvent(QStringLiteral("consent-request"),
                       {{QStringLiteral("request"), QStringLiteral("c1")},
                        {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/chat")}, {QStringLiteral("exe"), QStringLiteral("/usr/bin/chat")}}}});
    QTRY_VERIFY(item(QStringLiteral("consent-c1")) && item(QStringLiteral("app-exe:/usr/bin/mail")) && item(QStringLiteral("attentionBanner"))->isVisible());
    const int signedOutControls = controls;
    countNamedControls(&controls);
    QVERIFY2(controls >= signedOutControls + 10, qPrintable(QString::number(controls)));
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
    QCOMPARE(item(QStringLiteral("signingInHeading"))->property("text").toString(), QStringLiteral("Finish signing in in your browser…"));
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
    QVERIFY(load(true)); // "opening the browser" is what starts signet-webview
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

// Policy browser = embedded (kiosks): the page is in signet-webview's window, and the waiting page says so.
void tst_MainWindow::kioskSignInNamesItsWindow()
{
    QTemporaryDir bin;
    const QString webview = bin.filePath(QStringLiteral("webview"));
    QFile file(webview);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("#!/bin/sh\nexec sleep 30\n");
    file.close();
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("SIGNET_WEBVIEW", QFile::encodeName(webview));
    const auto restore = qScopeGuard([] { qunsetenv("SIGNET_WEBVIEW"); });
    m_agent->providersExtra = {{QStringLiteral("browser"), QStringLiteral("embedded")}};

    QVERIFY(load(true)); // "opening the browser" is what starts signet-webview
    QTRY_COMPARE(page(), int(SignIn));
    click(item(QStringLiteral("provider-demo")));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("url"), QStringLiteral("http://127.0.0.1:4000/auth?state=s1")}},
                       m_agent->lastRequest(QStringLiteral("signin")).id);
    QTRY_COMPARE(item(QStringLiteral("signingInHeading"))->property("text").toString(), QStringLiteral("Finish signing in in the sign-in window…"));
    QVERIFY(item(QStringLiteral("authorizationUrl"))->isVisible()); // still shown, for when the window does not open
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

void tst_MainWindow::useGrantProtocol()
{
    m_agent->capabilities.append(QStringLiteral("apps"));
    m_agent->capabilities.append(QStringLiteral("consent"));
    const auto app = [](const QString &id, const QString &name, const QString &source, bool revocable, const QJsonArray &scopes) {
        return QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:") + id}, {QStringLiteral("name"), name}, {QStringLiteral("exe"), id},
                           {QStringLiteral("script"), QJsonValue::Null}, {QStringLiteral("source"), source},
                           {QStringLiteral("access"), QStringLiteral("allow")}, {QStringLiteral("scopes"), scopes},
                           {QStringLiteral("granted_at"), QJsonValue::Null}, {QStringLiteral("revocable"), revocable}};
    };
    m_agent->apps = {{QStringLiteral("apps"), QJsonArray{app(QStringLiteral("/usr/bin/mail"), QStringLiteral("Mail"), QStringLiteral("user"), true,
                                                             {QStringLiteral("openid"), QStringLiteral("email")}),
                                                         app(QStringLiteral("/opt/vpn/bin/vpn-client"), QStringLiteral("Corporate VPN"),
                                                             QStringLiteral("policy"), false, {QStringLiteral("*")})}},
                     {QStringLiteral("unknown_apps"), QStringLiteral("prompt")},
                     {QStringLiteral("whoami"), QStringLiteral("any")}};
}

void tst_MainWindow::signInAs(const QJsonObject &identity)
{
    m_agent->identity = identity;
    m_agent->sendEvent(QStringLiteral("signed-in"), {{QStringLiteral("identity"), identity}});
    QTRY_COMPARE(page(), int(SignedIn));
}

void tst_MainWindow::verifyFitsHorizontally()
{
    QTest::qWait(100); // layouts settle
    const auto items = allItems(m_window->contentItem());
    for (QQuickItem *candidate : items) {
        if (!candidate->isVisible() || (!candidate->inherits("QQuickControl") && !candidate->inherits("QQuickText")))
            continue;
        if (candidate->inherits("QQuickScrollBar") || candidate->inherits("QQuickScrollView"))
            continue;
        // Only what is on the page on show.
        QQuickItem *ancestor = candidate;
        bool shown = true;
        while (ancestor) {
            if (!ancestor->isVisible())
                shown = false;
            ancestor = ancestor->parentItem();
        }
        if (!shown || candidate->width() <= 0)
            continue;
        const QRectF box = candidate->mapRectToScene(QRectF(0, 0, candidate->width(), candidate->height()));
        const QString what = QStringLiteral("%1 '%2' (%3) spans x %4..%5 in a window %6 wide")
                                 .arg(QString::fromLatin1(candidate->metaObject()->className()), candidate->objectName(),
                                      candidate->property("text").toString().left(60))
                                 .arg(box.left())
                                 .arg(box.right())
                                 .arg(m_window->width());
        QVERIFY2(box.left() >= -0.5 && box.right() <= m_window->width() + 0.5, qPrintable(what));
        // Text that does not fit its own box is cut off (wrapping text never is).
        if (candidate->inherits("QQuickText") && candidate->property("wrapMode").toInt() == 0 && candidate->property("elide").toInt() == 0)
            QVERIFY2(candidate->implicitWidth() <= candidate->width() + 1 || candidate->width() == 0, qPrintable(QStringLiteral("cut off: ") + what));
    }
}

void tst_MainWindow::brandedProvidersAndItMessage()
{
    QJsonObject github = FakeAgent::provider(QStringLiteral("gh"), QStringLiteral("GitHub"));
    github.insert(QStringLiteral("type"), QStringLiteral("github"));
    github.insert(QStringLiteral("button_text"), QStringLiteral("Continue with GitHub"));
    github.insert(QStringLiteral("logo"), QStringLiteral("github"));
    github.insert(QStringLiteral("background_color"), QStringLiteral("#24292f"));
    github.insert(QStringLiteral("text_color"), QStringLiteral("#ffffff"));
    QJsonObject microsoft = FakeAgent::provider(QStringLiteral("entra"), QStringLiteral("Microsoft"));
    microsoft.insert(QStringLiteral("logo"), QStringLiteral("microsoft"));
    microsoft.insert(QStringLiteral("background_color"), QStringLiteral("#2f2f2f"));
    microsoft.insert(QStringLiteral("text_color"), QStringLiteral("#ffffff"));
    QJsonObject google = FakeAgent::provider(QStringLiteral("google"), QStringLiteral("Google"));
    google.insert(QStringLiteral("logo"), QStringLiteral("google"));
    google.insert(QStringLiteral("background_color"), QStringLiteral("#ffffff"));
    google.insert(QStringLiteral("text_color"), QStringLiteral("#1f1f1f"));
    m_agent->providers = {microsoft, google, github};
    m_agent->providersExtra = {{QStringLiteral("message"), QStringLiteral("Use your @example.com work account. Questions? Call the service desk on 555-0100.")}};
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QQuickItem *message = item(QStringLiteral("itMessage"));
    QVERIFY(message && message->isVisible());
    QQuickItem *button = item(QStringLiteral("provider-gh"));
    QCOMPARE(button->property("text").toString(), QStringLiteral("Continue with GitHub"));
    // Configured order, top to bottom.
    QTRY_VERIFY(item(QStringLiteral("provider-entra"))->mapToScene({}).y() < item(QStringLiteral("provider-google"))->mapToScene({}).y());
    QVERIFY(item(QStringLiteral("provider-google"))->mapToScene({}).y() < button->mapToScene({}).y());
    for (QQuickItem *logo : allItems(m_window->contentItem())) {
        if (logo->objectName() == QLatin1String("logo") && logo->isVisible())
            QCOMPARE(logo->property("status").toInt(), 1); // Image.Ready
    }
    int logos = 0;
    for (QQuickItem *logo : allItems(m_window->contentItem()))
        logos += logo->objectName() == QLatin1String("logo") && logo->property("status").toInt() == 1;
    QCOMPARE(logos, 3);
    screenshot(QStringLiteral("signin-branded"));
}

void tst_MainWindow::failureSaysWhatToDo()
{
    QVERIFY(load(true)); // "opening the browser" is what starts signet-webview
    QTRY_COMPARE(page(), int(SignIn));
    click(item(QStringLiteral("provider-demo")));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, QStringLiteral("policy_refused"),
                       QStringLiteral("carol@gmail.com is not in the allowed domains (example.com). Ask the service desk: https://help.example.com/signet"));
    QTRY_COMPARE(page(), int(Failure));
    QCOMPARE(item(QStringLiteral("errorSummary"))->property("text").toString(), QStringLiteral("Your organisation does not allow this account to sign in here."));
    QVERIFY(item(QStringLiteral("errorAdvice"))->property("text").toString().contains(QLatin1String("work account")));
    QVERIFY(item(QStringLiteral("errorMessage"))->property("text").toString().contains(QLatin1String("https://help.example.com/signet")));
    screenshot(QStringLiteral("failure-policy"));
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("tryAgainButton")));
    QTest::keyClick(m_window, Qt::Key_Space);
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 2);
    QTRY_COMPARE(page(), int(SigningIn));
}

void tst_MainWindow::identityCardRolesAndApps()
{
    useGrantProtocol();
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice Example"), QStringLiteral("alice@example.com"), true, 7 * 3600 + 42 * 60 + 30);
    identity.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("staff"), QStringLiteral("admin")});
    signInAs(identity);
    QCOMPARE(item(QStringLiteral("initials"))->property("text").toString(), QStringLiteral("AE"));
    QVERIFY(item(QStringLiteral("role-staff"))->isVisible());
    QVERIFY(item(QStringLiteral("role-admin"))->isVisible());
    QCOMPARE(item(QStringLiteral("renewal"))->property("text").toString(), QStringLiteral("Renews automatically while you work."));
    QTRY_VERIFY(item(QStringLiteral("app-exe:/usr/bin/mail")) && item(QStringLiteral("app-exe:/usr/bin/mail"))->isVisible());
    QVERIFY(item(QStringLiteral("revoke-exe:/usr/bin/mail"))->isVisible());
    QVERIFY(!item(QStringLiteral("revoke-exe:/opt/vpn/bin/vpn-client"))->isVisible()); // IT's grant
    screenshot(QStringLiteral("signed-in-apps"));

    click(item(QStringLiteral("revoke-exe:/usr/bin/mail")));
    QTRY_VERIFY(std::any_of(m_agent->requests.cbegin(), m_agent->requests.cend(), [](const FakeAgent::Request &request) {
        return request.method == QLatin1String("apps") && request.params.value(QLatin1String("revoke")).toString() == QLatin1String("exe:/usr/bin/mail");
    }));
    QTRY_VERIFY(!item(QStringLiteral("app-exe:/usr/bin/mail")));
    QVERIFY(item(QStringLiteral("app-exe:/opt/vpn/bin/vpn-client")));
}

void tst_MainWindow::consentPromptByKeyboard()
{
    useGrantProtocol();
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    signInAs(FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice Example"), QStringLiteral("alice@example.com"), true, 3600));
    QVERIFY(!item(QStringLiteral("consent-c7")));
    m_agent->sendEvent(QStringLiteral("consent-request"),
                       {{QStringLiteral("request"), QStringLiteral("c7")},
                        {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/chat")}, {QStringLiteral("name"), QStringLiteral("Team Chat")},
                                                            {QStringLiteral("exe"), QStringLiteral("/usr/bin/chat")}, {QStringLiteral("script"), QJsonValue::Null}}},
                        {QStringLiteral("scopes"), QJsonArray{QStringLiteral("openid"), QStringLiteral("email")}},
                        {QStringLiteral("expires_in"), 120}});
    QTRY_VERIFY(item(QStringLiteral("consent-c7")) && item(QStringLiteral("consent-c7"))->isVisible());
    QCOMPARE(item(QStringLiteral("consentQuestion"))->property("text").toString(), QStringLiteral("Team Chat wants to use your work identity"));
    QVERIFY2(item(QStringLiteral("consentExpiry"))->property("text").toString().startsWith(QLatin1String("The app waits for your answer for 1 min 5")) ||
                 item(QStringLiteral("consentExpiry"))->property("text").toString().startsWith(QLatin1String("The app waits for your answer for 2 min 0")),
             qPrintable(item(QStringLiteral("consentExpiry"))->property("text").toString()));
    screenshot(QStringLiteral("consent"));
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("consentAllow")));
    QTest::keyClick(m_window, Qt::Key_Space);
    QTRY_COMPARE(m_agent->count(QStringLiteral("consent")), 1);
    const auto consent = m_agent->lastRequest(QStringLiteral("consent"));
    QCOMPARE(consent.params.value(QLatin1String("request")).toString(), QStringLiteral("c7"));
    QCOMPARE(consent.params.value(QLatin1String("allow")).toBool(), true);
    QCOMPARE(consent.params.value(QLatin1String("remember")).toBool(), true);
    QTRY_VERIFY(!item(QStringLiteral("consent-c7")));
    QTRY_COMPARE(m_window->activeFocusItem(), item(QStringLiteral("signOutButton")));

    // Prompts appear on the signed-in screen only.
    m_agent->sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), QStringLiteral("user")}});
    QTRY_COMPARE(page(), int(SignIn));
    m_agent->sendEvent(QStringLiteral("consent-request"),
                       {{QStringLiteral("request"), QStringLiteral("c8")},
                        {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/chat")}, {QStringLiteral("exe"), QStringLiteral("/usr/bin/chat")}}}});
    QTRY_VERIFY(item(QStringLiteral("consent-c8")));
    QVERIFY(!item(QStringLiteral("consent-c8"))->isVisible());
}

void tst_MainWindow::attentionOffersSignInAgain()
{
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    const QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice Example"), QStringLiteral("alice@example.com"), true, 900);
    signInAs(identity);
    QVERIFY(!item(QStringLiteral("attentionBanner"))->isVisible());
    m_agent->sendEvent(QStringLiteral("attention-needed"),
                       {{QStringLiteral("message"), QStringLiteral("The session could not be renewed: Demo identity provider did not answer.")},
                        {QStringLiteral("identity"), identity}});
    QTRY_VERIFY(item(QStringLiteral("attentionBanner"))->isVisible());
    QVERIFY(item(QStringLiteral("attentionMessage"))->property("text").toString().contains(QLatin1String("did not answer")));
    QCOMPARE(item(QStringLiteral("renewal"))->property("text").toString(), QStringLiteral("Renewal failed."));
    screenshot(QStringLiteral("attention"));
    click(item(QStringLiteral("signInAgainButton")));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    QCOMPARE(m_agent->lastRequest(QStringLiteral("signin")).params.value(QLatin1String("provider")).toString(), QStringLiteral("demo"));
}

// German runs about a third longer than English: at the smallest window size (what 200 % scaling
// leaves on a small screen) nothing may reach past the window's edge or be cut off. Also run at
// 200 % itself (tst_mainwindow_200).
void tst_MainWindow::germanFitsTheSmallestWindow()
{
    QTranslator german;
    QVERIFY(german.load(QStringLiteral(":/i18n/signet_de.qm")));
    QCoreApplication::installTranslator(&german);
    const auto removeTranslator = qScopeGuard([&german] { QCoreApplication::removeTranslator(&german); });

    useGrantProtocol();
    QJsonObject longName = FakeAgent::provider(QStringLiteral("corp"), QStringLiteral("Beispielkonzern Deutschland GmbH & Co. KG Identitätsdienst"));
    m_agent->providers = {longName, FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo"))};
    m_agent->providersExtra = {{QStringLiteral("message"), QStringLiteral("Melden Sie sich mit Ihrem Arbeitskonto an. Bei Fragen: Servicedesk, Durchwahl 0100.")}};
    QVERIFY(load());
    // tst_mainwindow_200 runs this at QT_SCALE_FACTOR=2: make sure the scale really applies.
    if (qEnvironmentVariableIsSet("QT_SCALE_FACTOR"))
        QCOMPARE(m_window->devicePixelRatio(), qEnvironmentVariable("QT_SCALE_FACTOR").toDouble());
    m_window->resize(m_window->minimumWidth(), m_window->minimumHeight());
    QTRY_COMPARE(page(), int(SignIn));
    QTRY_COMPARE(item(QStringLiteral("provider-demo"))->property("text").toString(), QStringLiteral("Mit Demo anmelden"));
    verifyFitsHorizontally();
    screenshot(QStringLiteral("de-signin"));

    QJsonObject identity = FakeAgent::identityFor(QStringLiteral("corp"), QStringLiteral("Maximiliane Mustermann-Schönberger"),
                                                  QStringLiteral("maximiliane.mustermann-schoenberger@beispielkonzern-deutschland.example"), true, 3600);
    identity.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("staff"), QStringLiteral("admin"), QStringLiteral("buchhaltung")});
    signInAs(identity);
    m_agent->sendEvent(QStringLiteral("consent-request"),
                       {{QStringLiteral("request"), QStringLiteral("c1")},
                        {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/chat")}, {QStringLiteral("name"), QStringLiteral("Teamkommunikation")},
                                                            {QStringLiteral("exe"), QStringLiteral("/usr/lib/teamkommunikation/bin/teamkommunikation-desktop")}}},
                        {QStringLiteral("scopes"), QJsonArray{QStringLiteral("openid"), QStringLiteral("email")}}});
    QTRY_VERIFY(item(QStringLiteral("consent-c1")));
    QTRY_VERIFY(item(QStringLiteral("app-exe:/usr/bin/mail")));
    QCOMPARE(item(QStringLiteral("consentAllow"))->property("text").toString(), QStringLiteral("Erlauben"));
    verifyFitsHorizontally();
    screenshot(QStringLiteral("de-signed-in"));

    // The page is longer than the window: Tab to "Abmelden" (Sign out) at the bottom scrolls it into view.
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QQuickItem *signOut = item(QStringLiteral("signOutButton"));
    for (int i = 0; i < 30 && m_window->activeFocusItem() != signOut; ++i)
        QTest::keyClick(m_window, Qt::Key_Tab);
    QCOMPARE(m_window->activeFocusItem(), signOut);
    QTRY_VERIFY2(signOut->mapToScene(QPointF(0, signOut->height())).y() <= m_window->height(),
                 qPrintable(QStringLiteral("Sign out at y %1 in a window %2 high").arg(signOut->mapToScene({}).y()).arg(m_window->height())));
    QVERIFY(signOut->mapToScene({}).y() >= 0);
}

// A dark desktop (the platform's palette, or the portal through DesktopAppearance): the window's
// text and its own colours (cards, chips, banners) turn dark with it.
void tst_MainWindow::darkPaletteIsFollowed()
{
    const QPalette saved = QGuiApplication::palette();
    QGuiApplication::setPalette(Signet::DesktopAppearance::darkPalette());
    const auto restore = qScopeGuard([saved] { QGuiApplication::setPalette(saved); });
    useGrantProtocol();
    QVERIFY(load());
    QTRY_COMPARE(page(), int(SignIn));
    QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice Example"), QStringLiteral("alice@example.com"), true, 3600);
    identity.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("staff"), QStringLiteral("admin")});
    signInAs(identity);
    m_agent->sendEvent(QStringLiteral("attention-needed"), {{QStringLiteral("message"), QStringLiteral("The session could not be renewed.")}});
    QTRY_VERIFY(item(QStringLiteral("attentionBanner"))->isVisible());
    QTRY_VERIFY(item(QStringLiteral("app-exe:/usr/bin/mail")));
    QVERIFY(item(QStringLiteral("name"))->property("color").value<QColor>().lightnessF() > 0.7);
    QVERIFY(item(QStringLiteral("role-staff"))->property("color").value<QColor>().lightnessF() > 0.6);
    QVERIFY(item(QStringLiteral("attentionMessage"))->property("color").value<QColor>().lightnessF() > 0.6);
    QVERIFY(m_window->color().lightnessF() < 0.5 || m_window->property("palette").value<QPalette>().color(QPalette::Window).lightnessF() < 0.5);
    screenshot(QStringLiteral("dark-signed-in"));
}

SIGNET_TEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
