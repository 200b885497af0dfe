#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Signet {

// Who is signed in, as companion apps see it. issuer + subject identify the person; the e-mail
// address is information, never a key.
struct Identity {
    QString provider; // the provider id from the configuration
    QString issuer;
    QString subject;
    QString email;
    bool emailVerified = false;
    QString name;
    QString picture;
    QDateTime signedInAt;
    QDateTime expiresAt;

    bool isValid() const { return !issuer.isEmpty() && !subject.isEmpty(); }
    // The protocol's identity object (docs/ipc.md); expires_in counted from `now`.
    QJsonObject toJson(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
};

// The secrets that belong to a session. Held by the agent only: no IPC message contains them.
struct TokenSet {
    QString accessToken;
    QString refreshToken;
    QString idToken;
    QDateTime accessTokenExpiresAt;
    QStringList scopes;
};

} // namespace Signet
