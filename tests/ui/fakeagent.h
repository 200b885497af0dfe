#pragma once

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QLocalSocket>
#include <QPointer>
#include <QTemporaryDir>

#include <functional>

class QLocalServer;


// An in-process stand-in for signet-agent: a QLocalServer that records the requests it receives
// and lets a test write whatever it wants back, byte for byte. With autoRespond it answers
// hello, providers, status, whoami and subscribe from the members below, like a real agent would.
// Points XDG_RUNTIME_DIR at a fresh private directory, with signet/ inside, for as long as it
// lives, and restores the previous value afterwards: tests never touch the real runtime directory.
class ScopedRuntimeDir
{
public:
    ScopedRuntimeDir()
        : m_saved(qgetenv("XDG_RUNTIME_DIR"))
    {
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_dir.path()));
        QDir(m_dir.path()).mkdir(QStringLiteral("signet"));
    }
    ~ScopedRuntimeDir() { qputenv("XDG_RUNTIME_DIR", m_saved); }
    bool isValid() const { return m_dir.isValid(); }
    QString filePath(const QString &name) const { return m_dir.filePath(name); }
    QString socketPath() const { return m_dir.filePath(QStringLiteral("signet/agent.sock")); }

private:
    QTemporaryDir m_dir;
    QByteArray m_saved;
};

class FakeAgent : public QObject
{
    Q_OBJECT
    // For Qt Quick Tests (tests/ui/qml), which create it as Signet.Test/FakeAgent.
    Q_PROPERTY(bool autoRespond MEMBER autoRespond)
public:
    struct Request
    {
        QPointer<QLocalSocket> connection;
        QJsonValue id;
        QString method;
        QJsonObject params;
    };

    explicit FakeAgent(QObject *parent = nullptr);
    ~FakeAgent() override;

    Q_INVOKABLE bool listen(const QString &socketPath);
    // Stops listening (removing the socket file) and drops every connection, like an agent that exits.
    void close();
    QString socketPath() const { return m_socketPath; }

    QList<QLocalSocket *> connections() const;
    QLocalSocket *lastConnection() const;

    // To `to`, or by default to the newest connection.
    void sendRaw(const QByteArray &bytes, QLocalSocket *to = nullptr);
    void send(const QJsonObject &message, QLocalSocket *to = nullptr);
    void sendResult(const QJsonValue &id, const QJsonObject &result, QLocalSocket *to = nullptr);
    void sendError(const QJsonValue &id, const QString &code, const QString &message, QLocalSocket *to = nullptr);
    void sendEvent(const QString &event, const QJsonObject &data, const QJsonValue &id = QJsonValue::Undefined,
                   QLocalSocket *to = nullptr);

    QList<Request> requests;
    // The last request with this method, or a request with an undefined id.
    Request lastRequest(const QString &method) const;
    Q_INVOKABLE int count(const QString &method) const;

    // The same for QML: JSON as JavaScript values.
    // A fresh socket path in $XDG_RUNTIME_DIR (which the test's main made private).
    Q_INVOKABLE static QString freshSocketPath();
    Q_INVOKABLE void setProviders(const QVariantList &list) { providers = QJsonArray::fromVariantList(list); }
    Q_INVOKABLE void setProvidersExtra(const QVariantMap &extra) { providersExtra = QJsonObject::fromVariantMap(extra); }
    Q_INVOKABLE QVariant lastRequestId(const QString &method) const { return lastRequest(method).id.toVariant(); }
    Q_INVOKABLE QVariantMap lastRequestParams(const QString &method) const { return lastRequest(method).params.toVariantMap(); }
    Q_INVOKABLE void replyError(const QVariant &id, const QString &code, const QString &message)
    {
        sendError(QJsonValue::fromVariant(id), code, message);
    }
    Q_INVOKABLE void replyResult(const QVariant &id, const QVariantMap &result) { sendResult(QJsonValue::fromVariant(id), QJsonObject::fromVariantMap(result)); }
    Q_INVOKABLE void emitEvent(const QString &event, const QVariantMap &data) { sendEvent(event, QJsonObject::fromVariantMap(data)); }
    // Who whoami reports (empty: nobody), and the avatar answer.
    Q_INVOKABLE void setIdentity(const QVariantMap &map) { identity = QJsonObject::fromVariantMap(map); }
    Q_INVOKABLE static QVariantMap sampleIdentity(const QString &provider, const QString &name, const QString &email, int expiresIn)
    {
        return identityFor(provider, name, email, true, expiresIn).toVariantMap();
    }
    Q_INVOKABLE void setAvatar(const QString &contentType, const QString &base64)
    {
        avatar = {{QStringLiteral("content_type"), contentType}, {QStringLiteral("data"), base64}};
    }

    // Standard answers (autoRespond): providers, status.signin and whoami.
    bool autoRespond = false;
    // hello's capabilities: today's agent's by default; add "apps", "consent" for the grant protocol.
    QJsonArray capabilities = {QStringLiteral("status"), QStringLiteral("providers"), QStringLiteral("signin"), QStringLiteral("cancel"),
                               QStringLiteral("whoami"), QStringLiteral("signout"), QStringLiteral("subscribe"), QStringLiteral("avatar"),
                               QStringLiteral("token")};
    QJsonArray providers;
    QJsonObject providersExtra; // more members of the providers answer ("message", "browser")
    QJsonObject avatar;         // the avatar answer; empty: both null
    // The apps answer: {"apps": [...], "unknown_apps": ..., "whoami": ...}. A revoke removes the app
    // from it (not_found / not_permitted as the protocol says) and announces apps-changed.
    QJsonObject apps;
    QJsonObject identity;   // empty: not signed in
    QJsonObject runningSignIn; // status "signin"; empty: null
    QString attention;         // status "attention"; empty: null
    // Called for every request before the standard answers; return true when it answered.
    std::function<bool(const Request &)> handler;

    // The three providers the UI tests show: demo, an unavailable one, acme (in that order).
    static QJsonArray sampleProviders()
    {
        return {provider(QStringLiteral("demo"), QStringLiteral("Demo identity provider")),
                provider(QStringLiteral("broken"), QStringLiteral("Broken Corp"), false, QStringLiteral("issuer is missing in [provider.broken]")),
                provider(QStringLiteral("acme"), QStringLiteral("Acme"))};
    }

    static QJsonObject provider(const QString &id, const QString &displayName, bool available = true,
                                const QString &problem = QString());
    static QJsonObject identityFor(const QString &provider, const QString &name, const QString &email,
                                   bool emailVerified, qint64 expiresIn);

Q_SIGNALS:
    void requestReceived(const QString &method);
    void clientConnected();
    void clientDisconnected();

private:
    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);
    void answer(const Request &request);

    QLocalServer *m_server;
    QString m_socketPath;
    QHash<QLocalSocket *, QByteArray> m_buffers;
};
