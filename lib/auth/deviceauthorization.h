#pragma once

#include "net/boundednetworkaccessmanager.h"
#include "signinerror.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <chrono>

class QNetworkReply;

namespace Signet {

// The device authorization grant (RFC 8628), for sign-ins where no browser runs on this machine
// (an SSH session): ask the provider for a device code, show the person the user code and the
// address to enter it at on any other device, then poll the token endpoint until they finished.
// Qt 6.4 has no class for it, so this is built on the bounded network manager.
//
// A job in the house shape: start(), then codeReady() once the code can be shown, then exactly one
// finished(); read tokenResponse() or error() afterwards. The token response is handed over
// unchecked: the caller applies the same checks as to any token response.
//
// Provider differences it absorbs: Google names the address `verification_url`; Microsoft says
// `authorization_declined` for access_denied; GitHub answers errors with HTTP 200 and says
// `token_expired` in prose; Google answers `authorization_pending` with 428 and `slow_down` with 403.
class DeviceAuthorization : public QObject
{
    Q_OBJECT
public:
    struct Request {
        QUrl deviceAuthorizationEndpoint;
        QUrl tokenEndpoint;
        QString clientId;
        QString clientSecret; // sent only when set (Google's device clients have one)
        QStringList scopes;
        QString providerName;
        bool allowPlainHttp = false; // a loopback provider (tests, the demo) may send an http address
    };

    DeviceAuthorization(QNetworkAccessManager *network, const Request &request, QObject *parent = nullptr);
    ~DeviceAuthorization() override;

    void start();
    void cancel();

    // Valid after codeReady().
    QString userCode() const { return m_userCode; }
    QUrl verificationUri() const { return m_verificationUri; }
    QUrl verificationUriComplete() const { return m_verificationUriComplete; } // may be invalid
    QString message() const { return m_message; }                            // the provider's own text, may be empty
    QDateTime expiresAt() const { return m_expiresAt; }
    std::chrono::seconds interval() const { return m_interval; }
    int polls() const { return m_polls; }

    const JsonResponse &tokenResponse() const { return m_tokenResponse; }
    const SignInError &error() const { return m_error; }

    // RFC 8628 §3.2 default interval 5 s; absurd values from a provider are clamped so that
    // Signet neither hammers it nor waits minutes between polls.
    static constexpr std::chrono::seconds DefaultInterval{5};
    static constexpr std::chrono::seconds MinimumInterval{1};
    static constexpr std::chrono::seconds MaximumInterval{60};
    // A code valid longer than this still ends here: nobody waits half an hour at a prompt.
    static constexpr std::chrono::seconds MaximumLifetime{30 * 60};
    // Network failures while polling are retried (a flaky connection), but not forever.
    static constexpr int MaximumConsecutiveFailures = 3;

Q_SIGNALS:
    void codeReady();
    void finished();

private:
    void onCodeFinished();
    void poll();
    void onPollFinished();
    void fail(const SignInError &error);
    void succeed(const JsonResponse &response);
    void setInterval(std::chrono::seconds interval);

    QNetworkAccessManager *m_network;
    Request m_request;
    QPointer<QNetworkReply> m_reply;
    QTimer m_pollTimer;
    QTimer m_expiry;
    QString m_deviceCode; // a secret: registered with the log redactor while it lives
    QString m_userCode;
    QUrl m_verificationUri;
    QUrl m_verificationUriComplete;
    QString m_message;
    QDateTime m_expiresAt;
    std::chrono::seconds m_interval = DefaultInterval;
    int m_polls = 0;
    int m_consecutiveFailures = 0;
    JsonResponse m_tokenResponse;
    SignInError m_error;
    bool m_finished = false;
};

} // namespace Signet
