// The provider's documents as Signet judges them: discovery (OpenID Connect Discovery §4.3) and
// the token response (RFC 6749 §5.1-5.2, OpenID Connect Core §3.1.3.3). Data-driven, no network.

#include "auth/discovery.h"
#include "auth/loopbackreplyhandler.h"
#include "net/boundednetworkaccessmanager.h"

#include <QJsonDocument>
#include <QTest>

using namespace Signet;
using Code = SignInError::Code;

Q_DECLARE_METATYPE(SignInError::Code)
Q_DECLARE_METATYPE(JsonResponse::Failure)

namespace {
QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(text).object();
}
} // namespace

class TestResponses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void discovery_data()
    {
        QTest::addColumn<QByteArray>("document");
        QTest::addColumn<SignInError::Code>("code");
        QTest::addColumn<QString>("message");

        const QByteArray endpoints = "\"authorization_endpoint\":\"https://idp.example/auth\",\"token_endpoint\":\"https://idp.example/token\",\"userinfo_endpoint\":\"https://idp.example/me\"";
        QTest::newRow("good") << QByteArray("{\"issuer\":\"https://idp.example\"," + endpoints + "}") << Code::None << QString();
        QTest::newRow("issuer differs") << QByteArray("{\"issuer\":\"https://evil.example\"," + endpoints + "}") << Code::ProviderError << QStringLiteral("names the issuer 'https://evil.example'");
        QTest::newRow("issuer trailing slash") << QByteArray("{\"issuer\":\"https://idp.example/\"," + endpoints + "}") << Code::ProviderError << QStringLiteral("not the configured");
        QTest::newRow("issuer missing") << QByteArray("{" + endpoints + "}") << Code::ProviderError << QStringLiteral("names the issuer ''");
        QTest::newRow("no authorization endpoint") << QByteArray("{\"issuer\":\"https://idp.example\",\"token_endpoint\":\"https://idp.example/token\"}") << Code::ProviderError << QStringLiteral("authorization_endpoint");
        QTest::newRow("no token endpoint") << QByteArray("{\"issuer\":\"https://idp.example\",\"authorization_endpoint\":\"https://idp.example/auth\"}") << Code::ProviderError << QStringLiteral("token_endpoint");
        QTest::newRow("endpoint not a url") << QByteArray("{\"issuer\":\"https://idp.example\",\"authorization_endpoint\":\"javascript:void\",\"token_endpoint\":\"https://idp.example/token\"}") << Code::ProviderError << QStringLiteral("authorization_endpoint");
        QTest::newRow("plain PKCE only") << QByteArray("{\"issuer\":\"https://idp.example\"," + endpoints + ",\"code_challenge_methods_supported\":[\"plain\"]}") << Code::ProviderError << QStringLiteral("S256");
        QTest::newRow("S256 advertised") << QByteArray("{\"issuer\":\"https://idp.example\"," + endpoints + ",\"code_challenge_methods_supported\":[\"plain\",\"S256\"]}") << Code::None << QString();
    }

    void discovery()
    {
        QFETCH(QByteArray, document);
        QFETCH(SignInError::Code, code);
        QFETCH(QString, message);
        ProviderMetadata metadata;
        const SignInError error = OidcDiscovery::parse(QJsonDocument::fromJson(document).object(), QUrl(QStringLiteral("https://idp.example")), QStringLiteral("Demo"), &metadata);
        QCOMPARE(error.code, code);
        QVERIFY2(error.message.contains(message), qPrintable(error.message));
        if (code == Code::None) {
            QCOMPARE(metadata.tokenEndpoint, QUrl(QStringLiteral("https://idp.example/token")));
            QCOMPARE(metadata.issuer, QUrl(QStringLiteral("https://idp.example")));
        }
    }

    void discoveryUrl()
    {
        QCOMPARE(OidcDiscovery::discoveryUrl(QUrl(QStringLiteral("https://idp.example"))).toString(), QStringLiteral("https://idp.example/.well-known/openid-configuration"));
        QCOMPARE(OidcDiscovery::discoveryUrl(QUrl(QStringLiteral("https://idp.example/realms/staff/"))).toString(),
                 QStringLiteral("https://idp.example/realms/staff/.well-known/openid-configuration"));
    }

    void tokenResponse_data()
    {
        QTest::addColumn<JsonResponse::Failure>("failure");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("openid");
        QTest::addColumn<SignInError::Code>("code");

        using F = JsonResponse::Failure;
        const QByteArray good = "{\"access_token\":\"at-123456789\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"id_token\":\"x.y.z\"}";
        QTest::newRow("good") << F::None << 200 << good << true << Code::None;
        QTest::newRow("bearer lower case") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"token_type\":\"bearer\",\"id_token\":\"x\"}") << true << Code::None;
        QTest::newRow("unknown members ignored") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":\"x\",\"surprise\":[1]}") << true << Code::None;
        QTest::newRow("error with HTTP 200") << F::None << 200 << QByteArray("{\"error\":\"bad_verification_code\",\"error_description\":\"The code passed is incorrect or expired.\"}") << true << Code::ProviderError;
        QTest::newRow("error with HTTP 400") << F::HttpStatus << 400 << QByteArray("{\"error\":\"invalid_grant\"}") << true << Code::ProviderError;
        QTest::newRow("HTTP 500 without body") << F::HttpStatus << 500 << QByteArray() << true << Code::ProviderError;
        QTest::newRow("not json") << F::NotJson << 200 << QByteArray() << true << Code::ProviderError;
        QTest::newRow("no access token") << F::None << 200 << QByteArray("{\"token_type\":\"Bearer\",\"id_token\":\"x\"}") << true << Code::ProviderError;
        QTest::newRow("access token not a string") << F::None << 200 << QByteArray("{\"access_token\":42,\"token_type\":\"Bearer\",\"id_token\":\"x\"}") << true << Code::ProviderError;
        QTest::newRow("MAC token") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"token_type\":\"mac\",\"id_token\":\"x\"}") << true << Code::ProviderError;
        QTest::newRow("no token type") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"id_token\":\"x\"}") << true << Code::ProviderError;
        QTest::newRow("no id token with openid") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"token_type\":\"Bearer\"}") << true << Code::ProviderError;
        QTest::newRow("no id token without openid") << F::None << 200 << QByteArray("{\"access_token\":\"a\",\"token_type\":\"Bearer\"}") << false << Code::None;
        QTest::newRow("unreachable") << F::Unreachable << 0 << QByteArray() << true << Code::ProviderUnreachable;
        QTest::newRow("timeout") << F::Timeout << 0 << QByteArray() << true << Code::ProviderUnreachable;
        QTest::newRow("too large is the provider's fault") << F::TooLarge << 200 << QByteArray() << true << Code::ProviderError;
        QTest::newRow("tls") << F::Tls << 0 << QByteArray() << true << Code::ProviderUnreachable;
    }

    void tokenResponse()
    {
        QFETCH(JsonResponse::Failure, failure);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, openid);
        QFETCH(SignInError::Code, code);
        JsonResponse response;
        response.failure = failure;
        response.httpStatus = status;
        response.body = QJsonDocument::fromJson(body).object();
        response.detail = QStringLiteral("detail");
        const SignInError error = LoopbackReplyHandler::checkTokenResponse(response, openid, QStringLiteral("Demo"));
        QCOMPARE(error.code, code);
        if (code != Code::None) {
            QVERIFY(error.message.contains(QStringLiteral("Demo")));
            // A token in a failed response never reaches the message.
            QVERIFY(!error.message.contains(QStringLiteral("at-123456789")));
        }
    }

    void errorDescriptionIsSanitised()
    {
        JsonResponse response;
        response.failure = JsonResponse::Failure::HttpStatus;
        response.httpStatus = 400;
        response.body = json("{\"error\":\"invalid_grant\",\"error_description\":\"line one\\r\\nline two\\u0007\"}");
        const SignInError error = LoopbackReplyHandler::checkTokenResponse(response, true, QStringLiteral("Demo"));
        QVERIFY(error.message.contains(QStringLiteral("invalid_grant: line one line two")));
        QVERIFY(!error.message.contains(QLatin1Char('\n')));
    }
};

QTEST_GUILESS_MAIN(TestResponses)
#include "tst_responses.moc"
