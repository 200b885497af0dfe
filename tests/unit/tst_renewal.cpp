// Silent renewal of a session (renew = silent): the agent asks the provider for new tokens with the
// refresh token before the session expires, extends it up to max_session_age, keeps a rotated
// refresh token, checks a renewed ID token against the first one, and says "attention needed" when
// renewal fails. Against the in-process provider of fakeprovider.h, with sessions of seconds.

#include "agent/agent.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include "fakeprovider.h"

using namespace Signet;
using namespace std::chrono_literals;

class TestRenewal : public QObject
{
    Q_OBJECT

    QTemporaryDir m_state;

    struct World {
        FakeProvider fake;
        ProviderConfig provider;
        Config config;
        std::unique_ptr<Agent> agent;
    };

    std::unique_ptr<World> world(std::chrono::seconds sessionAge, std::chrono::seconds maxSessionAge, bool renew = true)
    {
        auto w = std::make_unique<World>();
        w->provider = providerFor(w->fake);
        w->provider.httpTimeout = 1s;
        w->config.providers << w->provider;
        w->config.sessionAge = sessionAge;
        w->config.maxSessionAge = maxSessionAge;
        w->config.renewSilently = renew;
        w->config.policy.allowedDomains = QStringList{QStringLiteral("*")};
        w->agent = std::make_unique<Agent>(w->config, m_state.filePath(QString::number(++m_worlds)));
        return w;
    }
    int m_worlds = 0;

    // Starts a session as a sign-in would, expiring after the configured session age.
    static void signIn(World &w, const QString &refreshToken = QStringLiteral("rt-1"))
    {
        ProviderMetadata metadata;
        metadata.issuer = QUrl(w.fake.issuer());
        metadata.tokenIssuer = w.fake.issuer();
        metadata.tokenEndpoint = QUrl(w.fake.issuer() + QStringLiteral("/token"));
        metadata.jwksUri = QUrl(w.fake.issuer() + QStringLiteral("/jwks"));
        metadata.idTokenSigningAlgorithms = {QStringLiteral("RS256")};
        Identity identity;
        identity.provider = w.provider.id;
        identity.issuer = w.fake.issuer();
        identity.subject = QStringLiteral("u-1");
        identity.signedInAt = QDateTime::currentDateTimeUtc();
        identity.expiresAt = identity.signedInAt.addSecs(w.config.sessionAge.count());
        TokenSet tokens{QStringLiteral("at-1"), refreshToken, QStringLiteral("id-1"), identity.expiresAt, {QStringLiteral("openid")}};
        const QJsonObject claims{{QStringLiteral("iss"), w.fake.issuer()}, {QStringLiteral("aud"), QStringLiteral("client-1")}, {QStringLiteral("sub"), QStringLiteral("u-1")},
                                 {QStringLiteral("iat"), QDateTime::currentSecsSinceEpoch()}, {QStringLiteral("exp"), QDateTime::currentSecsSinceEpoch() + 300}};
        w.agent->startSession(identity, tokens, metadata, claims, w.provider);
    }

    static QByteArray tokenAnswer(const QJsonObject &extra = {})
    {
        QJsonObject body{{QStringLiteral("access_token"), QStringLiteral("at-2")}, {QStringLiteral("token_type"), QStringLiteral("Bearer")}, {QStringLiteral("expires_in"), 60}};
        for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
            body.insert(it.key(), it.value());
        return QJsonDocument(body).toJson(QJsonDocument::Compact);
    }

private Q_SLOTS:
    void renewsBeforeExpiry()
    {
        auto w = world(2s, 60s);
        w->fake.answers["/token"] = {200, tokenAnswer()};
        signIn(*w);
        const QDateTime firstExpiry = w->agent->session()->identity().expiresAt;
        QTRY_COMPARE_WITH_TIMEOUT(w->agent->session()->tokens().accessToken, QStringLiteral("at-2"), 5000);
        QVERIFY(w->agent->session()->isActive());
        QVERIFY(w->agent->session()->identity().expiresAt > firstExpiry);
        QCOMPARE(w->agent->session()->tokens().refreshToken, QStringLiteral("rt-1")); // not rotated: kept
        const QByteArray body = w->fake.last("/token").body;
        QVERIFY(body.contains("grant_type=refresh_token"));
        QVERIFY(body.contains("refresh_token=rt-1"));
        QVERIFY(body.contains("client_id=client-1"));
        // And again, before the extended expiry: a session lives on while renewals succeed.
        QTRY_VERIFY_WITH_TIMEOUT(w->fake.count("/token") >= 2, 5000);
        QVERIFY(w->agent->session()->isActive());
    }

    void keepsARotatedRefreshToken()
    {
        auto w = world(2s, 60s);
        w->fake.answers["/token"] = {200, tokenAnswer({{QStringLiteral("refresh_token"), QStringLiteral("rt-2")}})};
        signIn(*w);
        QTRY_COMPARE_WITH_TIMEOUT(w->agent->session()->tokens().refreshToken, QStringLiteral("rt-2"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w->fake.count("/token") >= 2, 5000);
        QVERIFY(w->fake.last("/token").body.contains("refresh_token=rt-2")); // the next renewal uses the new one
    }

    void renewedIdToken_data()
    {
        QTest::addColumn<QString>("subject");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("same person") << QStringLiteral("u-1") << true;
        QTest::newRow("another person") << QStringLiteral("u-2") << false;
    }

    void renewedIdToken()
    {
        QFETCH(QString, subject);
        QFETCH(bool, accepted);
        auto w = world(2s, 60s);
        const QByteArray idToken = w->fake.idToken(QString(), {{QStringLiteral("nonce"), QJsonValue::Null}, {QStringLiteral("sub"), subject}});
        w->fake.answers["/token"] = {200, tokenAnswer({{QStringLiteral("id_token"), QString::fromLatin1(idToken)}})};
        signIn(*w);
        QTRY_VERIFY_WITH_TIMEOUT(w->fake.count("/token") == 1 && (w->agent->session()->tokens().accessToken == QStringLiteral("at-2")
                                                                   || !w->agent->session()->identity().attention.isEmpty()), 5000);
        QCOMPARE(w->agent->session()->tokens().accessToken == QStringLiteral("at-2"), accepted);
        QCOMPARE(w->agent->session()->identity().attention.isEmpty(), accepted);
        if (accepted)
            QCOMPARE(w->agent->session()->claims().value(QLatin1String("sub")).toString(), subject);
        QCOMPARE(w->fake.count("/jwks"), 1); // keys fetched for the check
    }

    // A refusal that says the grant is gone (invalid_grant; GitHub's bad_refresh_token) ends the session at
    // once, reason "revoked": nothing can renew it, and apps must not keep getting its tokens. Any other
    // refusal is final too, but the session lives on until it expires, saying it needs attention.
    void refusedRenewal_data()
    {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<bool>("endsAtOnce");
        QTest::newRow("invalid_grant") << QByteArray(R"({"error":"invalid_grant","error_description":"refresh token revoked"})") << true;
        QTest::newRow("GitHub's bad_refresh_token") << QByteArray(R"({"error":"bad_refresh_token","error_description":"The refresh token passed is incorrect or expired."})") << true;
        QTest::newRow("invalid_client") << QByteArray(R"({"error":"invalid_client"})") << false;
        QTest::newRow("an error that only looks like invalid_grant") << QByteArray(R"({"error":"invalid_grant "})") << false;
    }

    void refusedRenewal()
    {
        QFETCH(QByteArray, answer);
        QFETCH(bool, endsAtOnce);
        auto w = world(2s, 60s);
        w->fake.answers["/token"] = {400, answer};
        QSignalSpy ended(w->agent->session(), &Session::ended);
        signIn(*w);
        if (endsAtOnce) {
            QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 5000);
            QCOMPARE(ended.first().at(1).value<Session::EndReason>(), Session::EndReason::Revoked);
            QVERIFY(!w->agent->session()->isActive());
            QVERIFY(w->agent->session()->tokens().accessToken.isEmpty());
            QCOMPARE(w->fake.count("/token"), 1);
            return;
        }
        QTRY_VERIFY_WITH_TIMEOUT(!w->agent->session()->identity().attention.isEmpty(), 5000);
        QCOMPARE(ended.count(), 0);
        QVERIFY2(w->agent->session()->identity().attention.contains(QStringLiteral("Sign in again")), qPrintable(w->agent->session()->identity().attention));
        QCOMPARE(w->agent->session()->identity().toJson().value(QLatin1String("attention")).toString(), w->agent->session()->identity().attention);
        QCOMPARE(w->agent->session()->tokens().accessToken, QStringLiteral("at-1")); // nothing replaced
        QTRY_VERIFY_WITH_TIMEOUT(!w->agent->session()->isActive(), 5000);
        QCOMPARE(ended.first().at(1).value<Session::EndReason>(), Session::EndReason::Expired);
        QCOMPARE(w->fake.count("/token"), 1); // a refusal is final: no retries
    }

    void unreachableProviderIsRetried()
    {
        // Lead 4 s: the renewal at 12 s hangs until http_timeout (1 s); the retry comes after half the
        // time left (1.5 s), leaving room on a loaded machine.
        auto w = world(16s, 60s);
        signIn(*w); // no answer for /token: it hangs
        QTRY_VERIFY_WITH_TIMEOUT(!w->agent->session()->identity().attention.isEmpty(), 16000);
        QVERIFY(w->agent->session()->identity().attention.contains(QStringLiteral("could not be reached")));
        w->fake.answers["/token"] = {200, tokenAnswer()}; // the network is back
        QTRY_COMPARE_WITH_TIMEOUT(w->agent->session()->tokens().accessToken, QStringLiteral("at-2"), 6000);
        QVERIFY(w->agent->session()->identity().attention.isEmpty());
    }

    void neverPastMaxSessionAge()
    {
        auto w = world(2s, 3s);
        w->fake.answers["/token"] = {200, tokenAnswer()};
        signIn(*w);
        const QDateTime signedIn = w->agent->session()->identity().signedInAt;
        QTRY_COMPARE_WITH_TIMEOUT(w->agent->session()->tokens().accessToken, QStringLiteral("at-2"), 5000);
        QCOMPARE(w->agent->session()->identity().expiresAt, signedIn.addSecs(3));
        QTRY_VERIFY_WITH_TIMEOUT(!w->agent->session()->isActive(), 5000);
        QCOMPARE(w->fake.count("/token"), 1);
    }

    void noRenewal_data()
    {
        QTest::addColumn<bool>("renew");
        QTest::addColumn<QString>("refreshToken");
        QTest::newRow("renew = off") << false << QStringLiteral("rt-1");
        QTest::newRow("no refresh token (a GitHub OAuth app)") << true << QString();
    }

    void noRenewal()
    {
        QFETCH(bool, renew);
        QFETCH(QString, refreshToken);
        auto w = world(2s, 60s, renew);
        w->fake.answers["/token"] = {200, tokenAnswer()};
        signIn(*w, refreshToken);
        QTRY_VERIFY_WITH_TIMEOUT(!w->agent->session()->isActive(), 5000);
        QCOMPARE(w->fake.count("/token"), 0);
    }

    // A renewal still under way when another sign-in replaces the session never lands in the new one.
    void renewalOfAReplacedSessionIsDropped()
    {
        auto w = world(4s, 60s); // renewal 1 s before expiry; /token hangs until http_timeout (1 s)
        signIn(*w);
        QTRY_VERIFY_WITH_TIMEOUT(w->fake.count("/token") == 1, 6000); // A's renewal is at the provider
        signIn(*w, QStringLiteral("rt-B"));                            // B replaces A
        QTest::qWait(1500);                                            // A's renewal fails (timeout) meanwhile
        QVERIFY(w->agent->session()->isActive());
        QVERIFY2(w->agent->session()->identity().attention.isEmpty(), qPrintable(w->agent->session()->identity().attention));
        QCOMPARE(w->agent->session()->tokens().refreshToken, QStringLiteral("rt-B"));
    }

    void signOutStopsRenewal()
    {
        auto w = world(2s, 60s);
        w->fake.answers["/token"] = {200, tokenAnswer()};
        signIn(*w);
        QVERIFY(w->agent->session()->end(Session::EndReason::SignedOut));
        QTest::qWait(2500);
        QCOMPARE(w->fake.count("/token"), 0);
    }
};

QTEST_GUILESS_MAIN(TestRenewal)
#include "tst_renewal.moc"
