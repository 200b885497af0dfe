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
    // The stable key of the account: the subject, except for Microsoft, where it is tid/oid
    // (sub is pairwise per application there; oid is the user object in the directory).
    QString accountKey;
    QString tenantId;       // Microsoft: the directory the account belongs to
    QString username;       // Microsoft: the UPN (information, not an address unless `email` says so)
    QString hostedDomain;   // Google: the Workspace domain (hd)
    QStringList roles;      // Microsoft app roles, as the provider states them
    QStringList groups;     // Microsoft group ids, as the provider states them
    bool groupsOverage = false; // the token had too many groups to list: `groups` is incomplete
    // The picture itself when the provider hands it out only with a token (Microsoft Graph); kept
    // so companion apps never need a provider token for it. Not part of toJson() (`avatar` method).
    QByteArray avatar;
    QByteArray avatarType; // image/jpeg, image/png or image/gif
    static constexpr qsizetype MaxAvatarBytes = 512 * 1024;
    QStringList organizations;  // GitHub: organisations with an active membership (logins)
    // Signet's own roles (staff, admin, and what [roles] maps), decided by the policy.
    QStringList signetRoles;
    bool rolesComplete = true; // false: a role that depends on a group could not be decided
    // Set while renewal failed and the session runs out: what the person should do.
    QString attention;
    QStringList teams;          // GitHub: "org/team-slug"
    QDateTime signedInAt;
    QDateTime expiresAt;

    bool isValid() const { return !issuer.isEmpty() && !subject.isEmpty(); }
    // The key of the account at its issuer: accountKey where the provider has one, else the subject.
    QString account() const { return accountKey.isEmpty() ? subject : accountKey; }
    // The protocol's identity object (docs/ipc.md); expires_in counted from `now`.
    QJsonObject toJson(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
};

// The secrets that belong to a session. Held by the agent only: no IPC message contains them,
// except the access token the `token` method hands out. The refresh token never leaves the agent.
struct TokenSet {
    QString accessToken;
    QString refreshToken;
    QString idToken;
    QDateTime accessTokenExpiresAt;
    QStringList scopes;
};

} // namespace Signet
