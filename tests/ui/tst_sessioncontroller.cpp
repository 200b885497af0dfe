// Signet::SessionController (the window's state) driven by an in-process fake agent.

#include "fakeagent.h"
#include "sessioncontroller.h"
#include "testmain.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QJsonArray>
#include <QMetaEnum>
#include <QSet>
#include <QTest>

#include <memory>

using Signet::SessionController;

class tst_SessionController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void errorCodes_data();
    void errorCodes();
    void handshake();
    void providersInAgentOrder();
    void signedInAtStart();
    void signInShowsUrlAndSucceeds();
    void signInFails_data();
    void signInFails();
    void retryAfterFailureSignsInAgain();
    void deviceSignInShowsTheCode();
    void dismissReturnsToProviders();
    void cancelReturnsToSignedOut();
    void joinsRunningSignInWithoutBrowser();
    void signedInAndOutByOtherClients();
    void signedOutNoticeSaysWhy_data();
    void signedOutNoticeSaysWhy();
    void restoreProblemIsShown();
    void signOut();
    void agentGoneThenBack();
    void agentNotRunningAtStart();
    void noRuntimeDirectory();
    void unsupportedProtocol();
    void copyUrl();
    void providerPresentation();
    void errorSentences_data();
    void errorSentences();
    void rolesAndAvatar();
    void noAvatarWithoutPicture();
    void attentionAndRenewal();
    void appsListedAndRevoked();
    void policyGrantCannotBeRevoked();
    void consentAllowed();
    void consentResolvedElsewhere();
    void consentForgottenWhenAgentGoes();
    void whereTheSignInPageIsShown_data();
    void whereTheSignInPageIsShown();
    void closingTheWebViewCancels_data();
    void closingTheWebViewCancels();

private:
    void useGrantProtocol();
    void startReady();

    std::unique_ptr<ScopedRuntimeDir> m_runtime;
    std::unique_ptr<FakeAgent> m_agent;
    std::unique_ptr<SessionController> m_controller;
};

void tst_SessionController::init()
{
    m_runtime = std::make_unique<ScopedRuntimeDir>();
    QVERIFY(m_runtime->isValid());
    m_agent = std::make_unique<FakeAgent>();
    m_agent->autoRespond = true;
    m_agent->providers = FakeAgent::sampleProviders();
    QVERIFY(m_agent->listen(m_runtime->socketPath()));
    m_controller = std::make_unique<SessionController>();
    m_controller->setOpenBrowser(false); // never a real browser from a test
}

void tst_SessionController::cleanup()
{
    m_controller.reset();
    m_agent.reset();
    m_runtime.reset();
}

void tst_SessionController::startReady()
{
    m_controller->start(); // the default socket path, in the temporary runtime directory
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Ready);
    QTRY_COMPARE(m_agent->count(QStringLiteral("subscribe")), 1);
}

void tst_SessionController::errorCodes_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<SessionController::Error>("error");

    QTest::newRow("access_denied") << QStringLiteral("access_denied") << SessionController::Error::AccessDenied;
    QTest::newRow("state_expired") << QStringLiteral("state_expired") << SessionController::Error::StateExpired;
    QTest::newRow("provider_unreachable") << QStringLiteral("provider_unreachable") << SessionController::Error::ProviderUnreachable;
    QTest::newRow("busy") << QStringLiteral("busy") << SessionController::Error::Busy;
    QTest::newRow("cancelled") << QStringLiteral("cancelled") << SessionController::Error::Cancelled;
    QTest::newRow("unsupported_protocol") << QStringLiteral("unsupported_protocol") << SessionController::Error::UnsupportedProtocol;
    QTest::newRow("keychain_error") << QStringLiteral("keychain_error") << SessionController::Error::KeychainError;
    QTest::newRow("a newer code") << QStringLiteral("quota_exceeded") << SessionController::Error::UnknownError;
    QTest::newRow("case matters") << QStringLiteral("Busy") << SessionController::Error::UnknownError;
}

void tst_SessionController::errorCodes()
{
    QFETCH(QString, code);
    QFETCH(SessionController::Error, error);
    QCOMPARE(SessionController::errorFromCode(code), error);
}

void tst_SessionController::handshake()
{
    QCOMPARE(m_controller->agentState(), SessionController::AgentState::Connecting);
    startReady();
    const QStringList expected{QStringLiteral("hello"), QStringLiteral("providers"), QStringLiteral("status"), QStringLiteral("whoami"),
                               QStringLiteral("subscribe")};
    QStringList methods;
    for (const auto &request : std::as_const(m_agent->requests))
        methods.append(request.method);
    QCOMPARE(methods, expected);
    const auto hello = m_agent->lastRequest(QStringLiteral("hello"));
    QCOMPARE(hello.params.value(QLatin1String("protocol")).toInt(), 1);
    QVERIFY(hello.params.value(QLatin1String("client")).toString().startsWith(QLatin1String("signet/")));
    const QJsonArray events = m_agent->lastRequest(QStringLiteral("subscribe")).params.value(QLatin1String("events")).toArray();
    for (const char *event : {"signed-in", "signed-out", "renewed", "attention-needed", "expiring", "policy-changed", "consent-request",
                              "consent-resolved", "apps-changed"})
        QVERIFY2(events.contains(QLatin1String(event)), event);
    // Today's agent has no `apps`: the window does not ask for it.
    QCOMPARE(m_agent->count(QStringLiteral("apps")), 0);
    QVERIFY(!m_controller->capabilities().contains(QStringLiteral("apps")));
    QCOMPARE(m_controller->agentVersion(), QStringLiteral("0.0.0-fake"));
    QCOMPARE(m_controller->state(), SessionController::State::SignedOut);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::NoError);
}

void tst_SessionController::providersInAgentOrder()
{
    QSignalSpy changed(m_controller.get(), &SessionController::providersChanged);
    startReady();
    QCOMPARE(changed.size(), 1);
    const QVariantList providers = m_controller->providers();
    QCOMPARE(providers.size(), 3);
    const QVariantMap demo = providers.at(0).toMap();
    QCOMPARE(demo.value(QStringLiteral("id")).toString(), QStringLiteral("demo"));
    QCOMPARE(demo.value(QStringLiteral("displayName")).toString(), QStringLiteral("Demo identity provider"));
    QCOMPARE(demo.value(QStringLiteral("type")).toString(), QStringLiteral("oidc"));
    QCOMPARE(demo.value(QStringLiteral("available")).toBool(), true);
    QCOMPARE(demo.value(QStringLiteral("problem")).toString(), QString());
    const QVariantMap broken = providers.at(1).toMap();
    QCOMPARE(broken.value(QStringLiteral("id")).toString(), QStringLiteral("broken"));
    QCOMPARE(broken.value(QStringLiteral("available")).toBool(), false);
    QCOMPARE(broken.value(QStringLiteral("problem")).toString(), QStringLiteral("issuer is missing in [provider.broken]"));
    QCOMPARE(providers.at(2).toMap().value(QStringLiteral("id")).toString(), QStringLiteral("acme"));
}

void tst_SessionController::signedInAtStart()
{
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("acme"), QStringLiteral("Alice Example"),
                                               QStringLiteral("alice@example.com"), true, 3600);
    startReady();
    QCOMPARE(m_controller->state(), SessionController::State::SignedIn);
    const QVariantMap identity = m_controller->identity();
    QCOMPARE(identity.value(QStringLiteral("name")).toString(), QStringLiteral("Alice Example"));
    QCOMPARE(identity.value(QStringLiteral("email")).toString(), QStringLiteral("alice@example.com"));
    QCOMPARE(identity.value(QStringLiteral("emailVerified")).toBool(), true);
    QCOMPARE(identity.value(QStringLiteral("provider")).toString(), QStringLiteral("acme"));
    QCOMPARE(identity.value(QStringLiteral("providerName")).toString(), QStringLiteral("Acme"));
    QVERIFY(identity.value(QStringLiteral("expiresAt")).toDateTime().isValid());
    QVERIFY2(m_controller->secondsLeft() > 3500 && m_controller->secondsLeft() <= 3600, qPrintable(QString::number(m_controller->secondsLeft())));
}

void tst_SessionController::signInShowsUrlAndSucceeds()
{
    startReady();
    QSignalSpy errors(m_controller.get(), &SessionController::errorOccurred);
    m_controller->signIn(QStringLiteral("demo"));
    QCOMPARE(m_controller->state(), SessionController::State::SigningIn);
    QCOMPARE(m_controller->signInProvider(), QStringLiteral("demo"));
    QCOMPARE(m_controller->signInProviderName(), QStringLiteral("Demo identity provider"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    QCOMPARE(signin.params.value(QLatin1String("provider")).toString(), QStringLiteral("demo"));
    QVERIFY(m_controller->authorizationUrl().isEmpty());

    // A URL for some other request is not ours.
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("url"), QStringLiteral("http://elsewhere.invalid/")}}, 999);
    const QString url = QStringLiteral("http://127.0.0.1:4000/auth?client_id=signet&state=abc&code_challenge=xyz");
    m_agent->sendEvent(QStringLiteral("authorization-url"),
                       {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("url"), url}, {QStringLiteral("expires_in"), 600}},
                       signin.id);
    QTRY_COMPARE(m_controller->authorizationUrl(), url);
    QCOMPARE(m_controller->state(), SessionController::State::SigningIn);

    m_agent->sendResult(signin.id, {{QStringLiteral("identity"),
                                     FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Carol"), QStringLiteral("carol@example.net"), false, 600)}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedIn);
    QCOMPARE(m_controller->identity().value(QStringLiteral("emailVerified")).toBool(), false);
    QCOMPARE(m_controller->identity().value(QStringLiteral("providerName")).toString(), QStringLiteral("Demo identity provider"));
    QVERIFY(m_controller->authorizationUrl().isEmpty());
    QCOMPARE(errors.size(), 0);
}

// A device sign-in asks the agent for one and shows the code and the address to enter it at.
void tst_SessionController::deviceSignInShowsTheCode()
{
    startReady();
    m_controller->signInWithDevice(QStringLiteral("demo"));
    QCOMPARE(m_controller->state(), SessionController::State::SigningIn);
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    QCOMPARE(signin.params.value(QLatin1String("device")).toBool(), true);
    m_agent->sendEvent(QStringLiteral("device-code"), {{QStringLiteral("user_code"), QStringLiteral("OTHER-REQ")}}, 999); // not ours
    m_agent->sendEvent(QStringLiteral("device-code"),
                       {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("user_code"), QStringLiteral("WDJB-MJHT")},
                        {QStringLiteral("verification_uri"), QStringLiteral("https://login.example/device")}, {QStringLiteral("expires_in"), 900}},
                       signin.id);
    QTRY_COMPARE(m_controller->userCode(), QStringLiteral("WDJB-MJHT"));
    QCOMPARE(m_controller->verificationUri(), QStringLiteral("https://login.example/device"));
    QVERIFY(m_controller->authorizationUrl().isEmpty());
    m_agent->sendResult(signin.id, {{QStringLiteral("identity"),
                                     FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 600)}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedIn);
    QVERIFY(m_controller->userCode().isEmpty());
}

void tst_SessionController::signInFails_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<SessionController::Error>("error");

    QTest::newRow("access_denied") << QStringLiteral("access_denied") << SessionController::Error::AccessDenied;
    QTest::newRow("state_expired") << QStringLiteral("state_expired") << SessionController::Error::StateExpired;
    QTest::newRow("busy") << QStringLiteral("busy") << SessionController::Error::Busy;
    QTest::newRow("unknown code") << QStringLiteral("something_new") << SessionController::Error::UnknownError;
}

void tst_SessionController::signInFails()
{
    QFETCH(QString, code);
    QFETCH(SessionController::Error, error);

    startReady();
    QSignalSpy errors(m_controller.get(), &SessionController::errorOccurred);
    m_controller->signIn(QStringLiteral("demo"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const QString message = QStringLiteral("The agent explains what went wrong.");
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, code, message);
    QTRY_COMPARE(m_controller->state(), SessionController::State::Failed);
    QCOMPARE(m_controller->errorCode(), error);
    QCOMPARE(m_controller->errorName(), code);
    QCOMPARE(m_controller->errorMessage(), message);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<SessionController::Error>(), error);
    QCOMPARE(errors.at(0).at(1).toString(), message);
    QCOMPARE(m_controller->agentState(), SessionController::AgentState::Ready);
}

void tst_SessionController::retryAfterFailureSignsInAgain()
{
    startReady();
    m_controller->signIn(QStringLiteral("acme"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, QStringLiteral("provider_unreachable"), QStringLiteral("Down."));
    QTRY_COMPARE(m_controller->state(), SessionController::State::Failed);

    m_controller->retry();
    QCOMPARE(m_controller->state(), SessionController::State::SigningIn);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::NoError);
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 2);
    QCOMPARE(m_agent->lastRequest(QStringLiteral("signin")).params.value(QLatin1String("provider")).toString(), QStringLiteral("acme"));
}

void tst_SessionController::dismissReturnsToProviders()
{
    startReady();
    m_controller->signIn(QStringLiteral("demo"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, QStringLiteral("access_denied"), QStringLiteral("Declined."));
    QTRY_COMPARE(m_controller->state(), SessionController::State::Failed);
    m_controller->dismiss();
    QCOMPARE(m_controller->state(), SessionController::State::SignedOut);
    QCOMPARE(m_controller->errorMessage(), QString());
}

void tst_SessionController::cancelReturnsToSignedOut()
{
    startReady();
    QSignalSpy errors(m_controller.get(), &SessionController::errorOccurred);
    m_controller->signIn(QStringLiteral("demo"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    m_agent->handler = [this, signin](const FakeAgent::Request &request) {
        if (request.method != QLatin1String("cancel"))
            return false;
        // Like the agent: the waiting signin is answered first, then the cancel itself.
        m_agent->sendError(signin.id, QStringLiteral("cancelled"), QStringLiteral("The sign-in was cancelled."), request.connection);
        m_agent->sendResult(request.id, {{QStringLiteral("cancelled"), true}}, request.connection);
        return true;
    };
    m_controller->cancel();
    QTRY_COMPARE(m_agent->count(QStringLiteral("cancel")), 1);
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedOut);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::NoError);
    QCOMPARE(errors.size(), 0); // cancelling is not a failure
}

void tst_SessionController::joinsRunningSignInWithoutBrowser()
{
    // signetctl started a sign-in before the window came up: the window joins it.
    m_agent->runningSignIn = {{QStringLiteral("provider"), QStringLiteral("acme")},
                              {QStringLiteral("url"), QStringLiteral("http://127.0.0.1:4000/auth?x")},
                              {QStringLiteral("expires_in"), 500}};
    m_controller->setOpenBrowser(true); // joining must not open a second tab (or any browser here)
    startReady();
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    QCOMPARE(m_controller->state(), SessionController::State::SigningIn);
    QCOMPARE(m_controller->signInProviderName(), QStringLiteral("Acme"));
    const auto signin = m_agent->lastRequest(QStringLiteral("signin"));
    QCOMPARE(signin.params.value(QLatin1String("provider")).toString(), QStringLiteral("acme"));
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:4000/auth?x")}}, signin.id);
    QTRY_COMPARE(m_controller->authorizationUrl(), QStringLiteral("http://127.0.0.1:4000/auth?x"));
}

void tst_SessionController::signedInAndOutByOtherClients()
{
    startReady();
    // signetctl signs in: the subscription event tells the window.
    m_agent->sendEvent(QStringLiteral("signed-in"),
                       {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Bob"), QStringLiteral("bob@example.org"), true, 120)}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedIn);
    QCOMPARE(m_controller->identity().value(QStringLiteral("name")).toString(), QStringLiteral("Bob"));

    m_agent->sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), QStringLiteral("expired")}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedOut);
    QVERIFY(m_controller->identity().isEmpty());
    QCOMPARE(m_controller->secondsLeft(), -1);
    QVERIFY2(m_controller->notice().contains(QLatin1String("Demo identity provider")), qPrintable(m_controller->notice()));

    // Unknown events are ignored.
    m_agent->sendEvent(QStringLiteral("policy-changed"), {{QStringLiteral("x"), 1}});
    QTest::qWait(20);
    QCOMPARE(m_controller->state(), SessionController::State::SignedOut);
}

// Why the session ended, as the person needs to know it: nothing to say when they (or IT's policy, which the
// failure screen covers) ended it; a sentence when it expired or the provider ended it. A reason newer than this
// window is treated like a plain sign-out.
void tst_SessionController::signedOutNoticeSaysWhy_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("notice");
    QTest::newRow("user") << QStringLiteral("user") << QString();
    QTest::newRow("expired") << QStringLiteral("expired") << QStringLiteral("Your session with Demo identity provider expired. Sign in again to continue.");
    QTest::newRow("revoked") << QStringLiteral("revoked")
                             << QStringLiteral("Demo identity provider ended your session (it was revoked or replaced). Sign in again to continue.");
    QTest::newRow("policy") << QStringLiteral("policy") << QString();
    QTest::newRow("unknown") << QStringLiteral("a-reason-from-the-future") << QString();
}

void tst_SessionController::signedOutNoticeSaysWhy()
{
    QFETCH(QString, reason);
    QFETCH(QString, notice);
    startReady();
    m_agent->sendEvent(QStringLiteral("signed-in"),
                       {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Bob"), QStringLiteral("bob@example.org"), true, 120)}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedIn);
    m_agent->sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), reason}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedOut);
    QCOMPARE(m_controller->notice(), notice);
}

// The agent could not restore the stored session (a locked keychain): the sign-in page says why.
void tst_SessionController::restoreProblemIsShown()
{
    m_agent->attention = QStringLiteral("The keychain is locked, so the stored session cannot be read. Unlock it and restart Signet, or sign in again.");
    startReady();
    QCOMPARE(m_controller->state(), SessionController::State::SignedOut);
    QTRY_COMPARE(m_controller->notice(), m_agent->attention);
}

void tst_SessionController::signOut()
{
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600);
    startReady();
    QCOMPARE(m_controller->state(), SessionController::State::SignedIn);
    m_controller->signOut();
    QTRY_COMPARE(m_agent->count(QStringLiteral("signout")), 1);
    QCOMPARE(m_controller->state(), SessionController::State::SignedIn); // until the agent says so
    m_agent->sendResult(m_agent->lastRequest(QStringLiteral("signout")).id, {{QStringLiteral("signed_out"), true}});
    m_agent->sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), QStringLiteral("user")}});
    QTRY_COMPARE(m_controller->state(), SessionController::State::SignedOut);
    QCOMPARE(m_controller->notice(), QString());
}

void tst_SessionController::agentGoneThenBack()
{
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600);
    startReady();
    QSignalSpy errors(m_controller.get(), &SessionController::errorOccurred);

    m_agent->close();
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::AgentUnavailable);
    QVERIFY(!m_controller->errorMessage().isEmpty());
    QCOMPARE(errors.size(), 1);
    QVERIFY(m_controller->identity().isEmpty());

    // Background retries fail quietly while the agent is away…
    QTest::qWait(2 * SessionController::FirstReconnectDelayMs);
    QCOMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QCOMPARE(errors.size(), 1);

    // …and the window comes back by itself when the agent does.
    m_agent->requests.clear();
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3000);
    QVERIFY(m_agent->listen(m_agent->socketPath()));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->agentState(), SessionController::AgentState::Ready, 10000);
    QCOMPARE(m_controller->state(), SessionController::State::SignedIn);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::NoError);
    QCOMPARE(m_agent->count(QStringLiteral("subscribe")), 1);
}

void tst_SessionController::agentNotRunningAtStart()
{
    m_agent->close();
    m_controller->start();
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::AgentUnavailable);
    QVERIFY2(m_controller->errorMessage().contains(QLatin1String("signet-agent")), qPrintable(m_controller->errorMessage()));

    // Retry shows "connecting" at once, then the outcome.
    QVERIFY(m_agent->listen(m_agent->socketPath()));
    m_controller->retry();
    QCOMPARE(m_controller->agentState(), SessionController::AgentState::Connecting);
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Ready);
}

void tst_SessionController::noRuntimeDirectory()
{
    qunsetenv("XDG_RUNTIME_DIR");
    m_controller->start();
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::NoRuntimeDirectory);
    QVERIFY(m_controller->errorMessage().contains(QLatin1String("XDG_RUNTIME_DIR")));
    // Nothing to wait for: no background retries.
    QTest::qWait(2 * SessionController::FirstReconnectDelayMs);
    QCOMPARE(m_agent->requests.size(), 0);
}

void tst_SessionController::unsupportedProtocol()
{
    m_agent->handler = [this](const FakeAgent::Request &request) {
        if (request.method != QLatin1String("hello"))
            return false;
        m_agent->sendError(request.id, QStringLiteral("unsupported_protocol"), QStringLiteral("This agent speaks protocol 2."), request.connection);
        return true;
    };
    m_controller->start();
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QCOMPARE(m_controller->errorCode(), SessionController::Error::UnsupportedProtocol);
    QVERIFY2(m_controller->errorMessage().contains(QLatin1String("protocol 2")), qPrintable(m_controller->errorMessage()));
}

void tst_SessionController::copyUrl()
{
    startReady();
    m_controller->signIn(QStringLiteral("demo"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const QString url = QStringLiteral("http://127.0.0.1:4000/auth?state=s1");
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("url"), url}}, m_agent->lastRequest(QStringLiteral("signin")).id);
    QTRY_COMPARE(m_controller->authorizationUrl(), url);
    m_controller->copyUrl();
    QCOMPARE(QGuiApplication::clipboard()->text(), url);
}

// The presentation of each provider (button text, logo, colours) and IT's message, from `providers`.
void tst_SessionController::providerPresentation()
{
    QJsonObject demo = FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo"));
    demo.insert(QStringLiteral("button_text"), QStringLiteral("Use your Demo account"));
    demo.insert(QStringLiteral("logo"), QStringLiteral("github"));
    demo.insert(QStringLiteral("background_color"), QStringLiteral("#24292f"));
    demo.insert(QStringLiteral("text_color"), QStringLiteral("#ffffff"));
    QJsonObject google = FakeAgent::provider(QStringLiteral("google"), QStringLiteral("Google"));
    google.insert(QStringLiteral("type"), QStringLiteral("google"));
    google.insert(QStringLiteral("logo"), QStringLiteral("../../etc/passwd")); // not a built-in: the default logo
    google.insert(QStringLiteral("background_color"), QStringLiteral("red; }")); // not #rrggbb: the style's colour
    QJsonObject own = FakeAgent::provider(QStringLiteral("own"), QStringLiteral("Own"));
    own.insert(QStringLiteral("logo_file"), QStringLiteral("/usr/share/acme/logo.svg"));
    m_agent->providers = {demo, google, own};
    m_agent->providersExtra = {{QStringLiteral("message"), QStringLiteral("Use your @example.com account. Help: 555-0100.")},
                               {QStringLiteral("browser"), QStringLiteral("embedded")}};
    startReady();
    const QVariantList providers = m_controller->providers();
    QCOMPARE(providers.size(), 3);
    const QVariantMap first = providers.at(0).toMap();
    QCOMPARE(first.value(QStringLiteral("buttonText")).toString(), QStringLiteral("Use your Demo account"));
    QCOMPARE(first.value(QStringLiteral("logo")).toString(), QStringLiteral("qrc:/signet/providers/github.svg"));
    QCOMPARE(first.value(QStringLiteral("backgroundColor")).toString(), QStringLiteral("#24292f"));
    QCOMPARE(first.value(QStringLiteral("textColor")).toString(), QStringLiteral("#ffffff"));
    QCOMPARE(first.value(QStringLiteral("embedded")).toBool(), true);
    const QVariantMap second = providers.at(1).toMap();
    QCOMPARE(second.value(QStringLiteral("buttonText")).toString(), QStringLiteral("Sign in with Google"));
    QCOMPARE(second.value(QStringLiteral("logo")).toString(), QStringLiteral("qrc:/signet/providers/openid.svg"));
    QCOMPARE(second.value(QStringLiteral("backgroundColor")).toString(), QString());
    QCOMPARE(second.value(QStringLiteral("embedded")).toBool(), false); // Google refuses embedded browsers
    QCOMPARE(providers.at(2).toMap().value(QStringLiteral("logo")).toString(), QStringLiteral("file:///usr/share/acme/logo.svg"));
    QCOMPARE(m_controller->itMessage(), QStringLiteral("Use your @example.com account. Help: 555-0100."));
    QCOMPARE(m_controller->browserMode(), QStringLiteral("embedded"));
}

void tst_SessionController::errorSentences_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("advice"); // a word the advice must contain

    QTest::newRow("access_denied") << QStringLiteral("access_denied") << QStringLiteral("accept");
    QTest::newRow("state_expired") << QStringLiteral("state_expired") << QStringLiteral("again");
    QTest::newRow("provider_unreachable") << QStringLiteral("provider_unreachable") << QStringLiteral("network");
    QTest::newRow("provider_error") << QStringLiteral("provider_error") << QStringLiteral("IT");
    QTest::newRow("policy_refused") << QStringLiteral("policy_refused") << QStringLiteral("work account");
    QTest::newRow("keychain_error") << QStringLiteral("keychain_error") << QStringLiteral("keyring");
    QTest::newRow("config_error") << QStringLiteral("config_error") << QStringLiteral("IT");
    QTest::newRow("busy") << QStringLiteral("busy") << QStringLiteral("other sign-in");
    QTest::newRow("a newer code") << QStringLiteral("quota_exceeded") << QStringLiteral("details");
}

// Each failure is told as a sentence of the window's own (translatable), with what to do next;
// the agent's message (which carries IT's refusal help) stays as the detail.
void tst_SessionController::errorSentences()
{
    QFETCH(QString, code);
    QFETCH(QString, advice);
    startReady();
    m_controller->signIn(QStringLiteral("demo"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const QString message = QStringLiteral("The agent's own words. Ask the service desk: https://help.example/");
    m_agent->sendError(m_agent->lastRequest(QStringLiteral("signin")).id, code, message);
    QTRY_COMPARE(m_controller->state(), SessionController::State::Failed);
    QVERIFY(!m_controller->errorSummary().isEmpty());
    QVERIFY2(m_controller->errorAdvice().contains(advice), qPrintable(m_controller->errorAdvice()));
    QCOMPARE(m_controller->errorMessage(), message);
    // Every code has a summary of its own (no two alike), except the catch-all.
    QSet<QString> summaries;
    const QMetaEnum errors = QMetaEnum::fromType<SessionController::Error>();
    for (int i = 0; i < errors.keyCount(); ++i)
        summaries.insert(SessionController::summaryFor(SessionController::Error(errors.value(i))));
    QVERIFY2(summaries.size() >= 15, qPrintable(QString::number(summaries.size())));
}

void tst_SessionController::rolesAndAvatar()
{
    QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600);
    identity.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("staff"), QStringLiteral("admin")});
    identity.insert(QStringLiteral("roles_complete"), false);
    identity.insert(QStringLiteral("has_avatar"), true);
    m_agent->identity = identity;
    // A 1×1 PNG.
    m_agent->avatar = {{QStringLiteral("content_type"), QStringLiteral("image/png")},
                       {QStringLiteral("data"), QStringLiteral("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")}};
    startReady();
    QCOMPARE(m_controller->identity().value(QStringLiteral("roles")).toStringList(), (QStringList{QStringLiteral("staff"), QStringLiteral("admin")}));
    QCOMPARE(m_controller->identity().value(QStringLiteral("rolesComplete")).toBool(), false);
    QTRY_VERIFY(m_controller->avatarUrl().startsWith(QLatin1String("data:image/png;base64,iVBOR")));
    QCOMPARE(m_agent->count(QStringLiteral("avatar")), 1);

    // Signed out: the picture goes with the person.
    m_agent->sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), QStringLiteral("user")}});
    QTRY_VERIFY(m_controller->avatarUrl().isEmpty());

    // Anything but PNG or JPEG is no picture.
    m_agent->avatar = {{QStringLiteral("content_type"), QStringLiteral("text/html")}, {QStringLiteral("data"), QStringLiteral("PHNjcmlwdD4=")}};
    m_agent->sendEvent(QStringLiteral("signed-in"), {{QStringLiteral("identity"), identity}});
    QTRY_COMPARE(m_agent->count(QStringLiteral("avatar")), 2);
    QTest::qWait(50);
    QVERIFY(m_controller->avatarUrl().isEmpty());
}

void tst_SessionController::noAvatarWithoutPicture()
{
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Bob"), QStringLiteral("bob@example.com"), true, 3600);
    startReady();
    QTest::qWait(50);
    QCOMPARE(m_agent->count(QStringLiteral("avatar")), 0);
    QVERIFY(m_controller->avatarUrl().isEmpty());
    QVERIFY(m_controller->identity().value(QStringLiteral("roles")).toStringList().isEmpty());
}

// Renewal failed (attention-needed) and "ends soon, cannot renew" (expiring) are shown until the
// session is renewed or replaced.
void tst_SessionController::attentionAndRenewal()
{
    const QJsonObject identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 600);
    m_agent->identity = identity;
    startReady();
    QVERIFY(m_controller->attention().isEmpty());
    QVERIFY(!m_controller->expiring());
    QSignalSpy changed(m_controller.get(), &SessionController::attentionChanged);

    QJsonObject failed = identity;
    failed.insert(QStringLiteral("attention"), QStringLiteral("Renewal failed: the provider could not be reached. Sign in again."));
    m_agent->sendEvent(QStringLiteral("attention-needed"), {{QStringLiteral("message"), QStringLiteral("Renewal failed: the provider could not be reached. Sign in again.")},
                                                            {QStringLiteral("identity"), failed}});
    QTRY_COMPARE(m_controller->attention(), QStringLiteral("Renewal failed: the provider could not be reached. Sign in again."));
    QCOMPARE(m_controller->state(), SessionController::State::SignedIn); // still signed in until it expires

    m_agent->sendEvent(QStringLiteral("expiring"), {{QStringLiteral("identity"), failed}, {QStringLiteral("expires_in"), 290}});
    QTRY_VERIFY(m_controller->expiring());
    QVERIFY(!m_controller->attention().isEmpty());

    // A later renewal clears both.
    QJsonObject renewed = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600);
    m_agent->sendEvent(QStringLiteral("renewed"), {{QStringLiteral("identity"), renewed}});
    QTRY_VERIFY(m_controller->attention().isEmpty());
    QVERIFY(!m_controller->expiring());
    QVERIFY(m_controller->secondsLeft() > 3000);
    QVERIFY(changed.size() >= 3);
}

void tst_SessionController::useGrantProtocol()
{
    m_agent->capabilities.append(QStringLiteral("apps"));
    m_agent->capabilities.append(QStringLiteral("consent"));
    m_agent->capabilities.append(QStringLiteral("reset"));
    m_agent->identity = FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), true, 3600);
    m_agent->apps = QJsonObject{
        {QStringLiteral("apps"),
         QJsonArray{QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/mail")}, {QStringLiteral("name"), QStringLiteral("Mail")},
                                {QStringLiteral("exe"), QStringLiteral("/usr/bin/mail")}, {QStringLiteral("script"), QJsonValue::Null},
                                {QStringLiteral("source"), QStringLiteral("user")}, {QStringLiteral("access"), QStringLiteral("allow")},
                                {QStringLiteral("scopes"), QJsonArray{QStringLiteral("openid"), QStringLiteral("email")}},
                                {QStringLiteral("granted_at"), QStringLiteral("2026-11-30T09:00:00Z")}, {QStringLiteral("revocable"), true}},
                    QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/opt/vpn/vpn")}, {QStringLiteral("name"), QStringLiteral("VPN")},
                                {QStringLiteral("exe"), QStringLiteral("/opt/vpn/vpn")}, {QStringLiteral("script"), QJsonValue::Null},
                                {QStringLiteral("source"), QStringLiteral("policy")}, {QStringLiteral("access"), QStringLiteral("allow")},
                                {QStringLiteral("scopes"), QJsonArray{QStringLiteral("*")}}, {QStringLiteral("granted_at"), QJsonValue::Null},
                                {QStringLiteral("revocable"), false}}}},
        {QStringLiteral("unknown_apps"), QStringLiteral("prompt")},
        {QStringLiteral("whoami"), QStringLiteral("any")}};
    startReady();
    QTRY_COMPARE(m_controller->apps().size(), 2);
}

void tst_SessionController::appsListedAndRevoked()
{
    useGrantProtocol();
    QCOMPARE(m_agent->count(QStringLiteral("apps")), 1);
    QCOMPARE(m_controller->unknownApps(), QStringLiteral("prompt"));
    const QVariantMap mail = m_controller->apps().at(0).toMap();
    QCOMPARE(mail.value(QStringLiteral("id")).toString(), QStringLiteral("exe:/usr/bin/mail"));
    QCOMPARE(mail.value(QStringLiteral("name")).toString(), QStringLiteral("Mail"));
    QCOMPARE(mail.value(QStringLiteral("scopes")).toStringList(), (QStringList{QStringLiteral("openid"), QStringLiteral("email")}));
    QCOMPARE(mail.value(QStringLiteral("revocable")).toBool(), true);
    QVERIFY(mail.value(QStringLiteral("grantedAt")).toDateTime().isValid());
    QCOMPARE(m_controller->apps().at(1).toMap().value(QStringLiteral("source")).toString(), QStringLiteral("policy"));

    QSignalSpy changed(m_controller.get(), &SessionController::appsChanged);
    m_controller->revokeApp(QStringLiteral("exe:/usr/bin/mail"));
    QTRY_COMPARE(m_controller->apps().size(), 1);
    QVERIFY(std::any_of(m_agent->requests.cbegin(), m_agent->requests.cend(), [](const FakeAgent::Request &request) {
        return request.method == QLatin1String("apps") && request.params.value(QLatin1String("revoke")).toString() == QLatin1String("exe:/usr/bin/mail");
    }));
    QCOMPARE(m_controller->apps().at(0).toMap().value(QStringLiteral("id")).toString(), QStringLiteral("exe:/opt/vpn/vpn"));
    QVERIFY(changed.size() >= 1);

    // apps-changed from another client replaces the list.
    m_agent->sendEvent(QStringLiteral("apps-changed"), {{QStringLiteral("apps"), QJsonArray()}, {QStringLiteral("unknown_apps"), QStringLiteral("deny")}});
    QTRY_COMPARE(m_controller->apps().size(), 0);
    QCOMPARE(m_controller->unknownApps(), QStringLiteral("deny"));
}

void tst_SessionController::policyGrantCannotBeRevoked()
{
    useGrantProtocol();
    m_controller->revokeApp(QStringLiteral("exe:/opt/vpn/vpn"));
    QTRY_VERIFY(!m_controller->notice().isEmpty());
    QVERIFY2(m_controller->notice().contains(QLatin1String("IT policy")), qPrintable(m_controller->notice()));
    QTRY_COMPARE(m_agent->count(QStringLiteral("apps")), 3); // the list, the revoke, the list again
    QCOMPARE(m_controller->apps().size(), 2);
}

void tst_SessionController::consentAllowed()
{
    useGrantProtocol();
    QSignalSpy asked(m_controller.get(), &SessionController::consentRequested);
    const QJsonObject app{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/foo")}, {QStringLiteral("name"), QStringLiteral("foo")},
                          {QStringLiteral("exe"), QStringLiteral("/usr/bin/foo")}, {QStringLiteral("script"), QJsonValue::Null}};
    m_agent->sendEvent(QStringLiteral("consent-request"), {{QStringLiteral("request"), QStringLiteral("c1")}, {QStringLiteral("app"), app},
                                                           {QStringLiteral("scopes"), QJsonArray{QStringLiteral("openid"), QStringLiteral("email")}},
                                                           {QStringLiteral("expires_in"), 120}});
    QTRY_COMPARE(m_controller->consentRequests().size(), 1);
    QCOMPARE(asked.size(), 1);
    QCOMPARE(asked.at(0).at(0).toString(), QStringLiteral("c1"));
    const QVariantMap request = m_controller->consentRequests().at(0).toMap();
    QCOMPARE(request.value(QStringLiteral("name")).toString(), QStringLiteral("foo"));
    QCOMPARE(request.value(QStringLiteral("exe")).toString(), QStringLiteral("/usr/bin/foo"));
    QCOMPARE(request.value(QStringLiteral("scopes")).toStringList(), (QStringList{QStringLiteral("openid"), QStringLiteral("email")}));
    const qint64 left = QDateTime::currentDateTimeUtc().secsTo(request.value(QStringLiteral("expiresAt")).toDateTime());
    QVERIFY2(left > 100 && left <= 120, qPrintable(QString::number(left)));

    m_controller->answerConsent(QStringLiteral("unknown"), true, true); // not asked: nothing sent
    m_controller->answerConsent(QStringLiteral("c1"), true, false);
    QTRY_COMPARE(m_agent->count(QStringLiteral("consent")), 1);
    const auto consent = m_agent->lastRequest(QStringLiteral("consent"));
    QCOMPARE(consent.params.value(QLatin1String("request")).toString(), QStringLiteral("c1"));
    QCOMPARE(consent.params.value(QLatin1String("allow")).toBool(), true);
    QCOMPARE(consent.params.value(QLatin1String("remember")).toBool(), false);
    QVERIFY(m_controller->consentRequests().isEmpty());
    m_agent->sendEvent(QStringLiteral("consent-resolved"), {{QStringLiteral("request"), QStringLiteral("c1")}, {QStringLiteral("decision"), QStringLiteral("allowed")}});
    QTest::qWait(50);
    QVERIFY(m_controller->consentRequests().isEmpty());
    QCOMPARE(m_agent->count(QStringLiteral("consent")), 1);
}

// A request answered elsewhere, withdrawn by the app or expired is closed by consent-resolved.
void tst_SessionController::consentResolvedElsewhere()
{
    useGrantProtocol();
    for (const char *id : {"c1", "c2"}) {
        m_agent->sendEvent(QStringLiteral("consent-request"),
                           {{QStringLiteral("request"), QLatin1String(id)},
                            {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/foo")}, {QStringLiteral("exe"), QStringLiteral("/usr/bin/foo")}}},
                            {QStringLiteral("scopes"), QJsonArray{QStringLiteral("openid")}}, {QStringLiteral("expires_in"), 120}});
    }
    QTRY_COMPARE(m_controller->consentRequests().size(), 2);
    QCOMPARE(m_controller->consentRequests().at(0).toMap().value(QStringLiteral("name")).toString(), QStringLiteral("exe:/usr/bin/foo")); // no name: the id
    m_agent->sendEvent(QStringLiteral("consent-resolved"), {{QStringLiteral("request"), QStringLiteral("c1")}, {QStringLiteral("decision"), QStringLiteral("expired")}});
    QTRY_COMPARE(m_controller->consentRequests().size(), 1);
    QCOMPARE(m_controller->consentRequests().at(0).toMap().value(QStringLiteral("request")).toString(), QStringLiteral("c2"));
    m_agent->sendEvent(QStringLiteral("consent-resolved"), {{QStringLiteral("request"), QStringLiteral("c2")}, {QStringLiteral("decision"), QStringLiteral("withdrawn")}});
    QTRY_VERIFY(m_controller->consentRequests().isEmpty());
    QCOMPARE(m_agent->count(QStringLiteral("consent")), 0);
}

void tst_SessionController::consentForgottenWhenAgentGoes()
{
    useGrantProtocol();
    m_agent->sendEvent(QStringLiteral("consent-request"),
                       {{QStringLiteral("request"), QStringLiteral("c1")},
                        {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), QStringLiteral("exe:/usr/bin/foo")}, {QStringLiteral("exe"), QStringLiteral("/usr/bin/foo")}}}});
    QTRY_COMPARE(m_controller->consentRequests().size(), 1);
    m_agent->close();
    QTRY_COMPARE(m_controller->agentState(), SessionController::AgentState::Unavailable);
    QVERIFY(m_controller->consentRequests().isEmpty());
    QVERIFY(m_controller->apps().isEmpty());
}

void tst_SessionController::whereTheSignInPageIsShown_data()
{
    QTest::addColumn<QString>("browser");   // policy: system or embedded
    QTest::addColumn<QString>("type");      // the provider's type
    QTest::addColumn<bool>("webviewBuilt"); // signet-webview installed
    QTest::addColumn<QString>("expected");  // which program got the URL

    QTest::newRow("system browser") << QStringLiteral("system") << QStringLiteral("oidc") << true << QStringLiteral("opener");
    QTest::newRow("kiosk") << QStringLiteral("embedded") << QStringLiteral("oidc") << true << QStringLiteral("webview");
    QTest::newRow("kiosk, but Google") << QStringLiteral("embedded") << QStringLiteral("google") << true << QStringLiteral("opener");
    QTest::newRow("kiosk without signet-webview") << QStringLiteral("embedded") << QStringLiteral("oidc") << false << QStringLiteral("opener");
}

// Policy browser = embedded hands the URL to signet-webview (never for Google); otherwise the
// desktop's opener ($SIGNET_URL_OPENER here) gets it. Either way the URL is also shown.
void tst_SessionController::whereTheSignInPageIsShown()
{
    QFETCH(QString, browser);
    QFETCH(QString, type);
    QFETCH(bool, webviewBuilt);
    QFETCH(QString, expected);

    QTemporaryDir bin;
    const auto script = [&bin](const QString &name) {
        const QString path = bin.filePath(name);
        QFile file(path);
        file.open(QIODevice::WriteOnly);
        file.write("#!/bin/sh\nprintf '%s' \"$1\" > \"$0.url\"\n");
        file.close();
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        return path;
    };
    const QString opener = script(QStringLiteral("opener"));
    const QString webview = webviewBuilt ? script(QStringLiteral("webview")) : bin.filePath(QStringLiteral("webview"));
    qputenv("SIGNET_URL_OPENER", QFile::encodeName(opener));
    qputenv("SIGNET_WEBVIEW", QFile::encodeName(webview));
    const auto restore = qScopeGuard([] {
        qunsetenv("SIGNET_URL_OPENER");
        qunsetenv("SIGNET_WEBVIEW");
    });

    QJsonObject provider = FakeAgent::provider(QStringLiteral("corp"), QStringLiteral("Corp"));
    provider.insert(QStringLiteral("type"), type);
    m_agent->providers = {provider};
    m_agent->providersExtra = {{QStringLiteral("browser"), browser}};
    m_controller->setOpenBrowser(true);
    startReady();
    m_controller->signIn(QStringLiteral("corp"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    const QString url = QStringLiteral("http://127.0.0.1:4000/auth?client_id=signet&state=s1");
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("url"), url}}, m_agent->lastRequest(QStringLiteral("signin")).id);
    QTRY_COMPARE(m_controller->authorizationUrl(), url);
    const QString received = bin.filePath(expected + QStringLiteral(".url"));
    QTRY_VERIFY2(QFile::exists(received), qPrintable(expected + QStringLiteral(" was not started")));
    QTRY_COMPARE(QString::fromUtf8(fileContents(received)), url);
    QVERIFY(!QFile::exists(bin.filePath((expected == QLatin1String("opener") ? QStringLiteral("webview") : QStringLiteral("opener")) + QStringLiteral(".url"))));
    QCOMPARE(m_controller->embeddedSignIn(), expected == QLatin1String("webview"));
}

// Closing signet-webview before the page reached the agent (its exit status 3) cancels the sign-in
// at the agent, instead of leaving it to state_timeout; a page that reached the agent (status 0) does not.
void tst_SessionController::closingTheWebViewCancels_data()
{
    QTest::addColumn<int>("exitStatus");
    QTest::addColumn<int>("cancels");
    QTest::newRow("closed by the person") << 3 << 1;
    QTest::newRow("closed after the redirect") << 0 << 0;
}

void tst_SessionController::closingTheWebViewCancels()
{
    QFETCH(int, exitStatus);
    QFETCH(int, cancels);
    QTemporaryDir bin;
    const QString webview = bin.filePath(QStringLiteral("webview"));
    QFile file(webview);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("#!/bin/sh\nexit %1\n").arg(exitStatus).toUtf8());
    file.close();
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("SIGNET_WEBVIEW", QFile::encodeName(webview));
    const auto restore = qScopeGuard([] { qunsetenv("SIGNET_WEBVIEW"); });

    QJsonObject provider = FakeAgent::provider(QStringLiteral("corp"), QStringLiteral("Corp"));
    m_agent->providers = {provider};
    m_agent->providersExtra = {{QStringLiteral("browser"), QStringLiteral("embedded")}};
    m_controller->setOpenBrowser(true);
    startReady();
    m_controller->signIn(QStringLiteral("corp"));
    QTRY_COMPARE(m_agent->count(QStringLiteral("signin")), 1);
    m_agent->sendEvent(QStringLiteral("authorization-url"), {{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:4000/auth?state=s1")}},
                       m_agent->lastRequest(QStringLiteral("signin")).id);
    QTRY_VERIFY(m_controller->embeddedSignIn());
    if (cancels)
        QTRY_COMPARE(m_agent->count(QStringLiteral("cancel")), 1);
    else {
        QTest::qWait(300); // the script has long exited
        QCOMPARE(m_agent->count(QStringLiteral("cancel")), 0);
    }
}

SIGNET_TEST_MAIN(tst_SessionController)
#include "tst_sessioncontroller.moc"
