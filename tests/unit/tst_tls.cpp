// TLS towards providers: certificate errors are never ignored, and ca_file adds trust for a
// TLS-inspecting proxy without replacing the system's. A real TLS server (QSslServer) with a
// certificate made at run time by the openssl command.

#include "auth/discovery.h"
#include "net/boundednetworkaccessmanager.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace Signet;
using namespace std::chrono_literals;

class TestTls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QSslServer m_server;
    QList<QSslCertificate> m_certificate;

    QString issuer() const { return QStringLiteral("https://127.0.0.1:%1").arg(m_server.serverPort()); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QSslSocket::supportsSsl());
        const QString key = m_dir.filePath(QStringLiteral("key.pem"));
        const QString cert = m_dir.filePath(QStringLiteral("cert.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"), {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                                                  QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                                                  QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"),
                                                  QStringLiteral("-subj"), QStringLiteral("/CN=Signet test proxy CA"),
                                                  QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1")});
        QVERIFY(openssl.waitForFinished(30000));
        QCOMPARE(openssl.exitCode(), 0);

        QFile keyFile(key), certFile(cert);
        QVERIFY(keyFile.open(QIODevice::ReadOnly) && certFile.open(QIODevice::ReadOnly));
        m_certificate = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
        QCOMPARE(m_certificate.size(), 1);
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificate(m_certificate.first());
        tls.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Ec));
        m_server.setSslConfiguration(tls);
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    if (!socket->readAll().contains("\r\n\r\n"))
                        return;
                    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("issuer"), issuer()},
                                                                      {QStringLiteral("authorization_endpoint"), issuer() + QStringLiteral("/auth")},
                                                                      {QStringLiteral("token_endpoint"), issuer() + QStringLiteral("/token")}})
                                                .toJson(QJsonDocument::Compact);
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
                    socket->disconnectFromHost();
                });
            }
        });
    }

    void discovery_data()
    {
        QTest::addColumn<bool>("trustProxyCa");
        QTest::addColumn<bool>("succeeds");
        QTest::newRow("unknown CA is refused") << false << false;
        QTest::newRow("ca_file makes it trusted") << true << true;
    }

    void discovery()
    {
        QFETCH(bool, trustProxyCa);
        QFETCH(bool, succeeds);
        BoundedNetworkAccessManager network(5s);
        if (trustProxyCa)
            network.setExtraCaCertificates(m_certificate);
        OidcDiscovery discovery(&network, QUrl(issuer()), QStringLiteral("Corp"));
        QSignalSpy finished(&discovery, &OidcDiscovery::finished);
        discovery.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(!discovery.error().isError(), succeeds);
        if (!succeeds) {
            QCOMPARE(discovery.error().code, SignInError::Code::ProviderUnreachable);
            QVERIFY2(discovery.error().message.contains(QStringLiteral("TLS")), qPrintable(discovery.error().message));
        } else {
            QCOMPARE(discovery.result().tokenEndpoint, QUrl(issuer() + QStringLiteral("/token")));
        }
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
