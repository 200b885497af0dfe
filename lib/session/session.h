#pragma once

#include "identity.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

namespace Signet {

// The one signed-in identity of this desktop user and its tokens. One account at a time: a new
// sign-in replaces the old one. Keeping it across restarts is SessionStore's job (the agent saves
// and restores it); this class is the session as the running agent knows it.
class Session : public QObject
{
    Q_OBJECT
public:
    // Revoked: the provider refused to renew it because the grant behind it is gone (revoked by
    // IT or the person, or ended by the replay of a rotated refresh token).
    enum class EndReason { SignedOut, Expired, PolicyChanged, Revoked };
    Q_ENUM(EndReason)

    explicit Session(QObject *parent = nullptr);

    // `claims`: the validated ID token's claims, kept (in memory) so a policy change can re-check
    // the identity's roles.
    void start(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims = {});
    // The same person with what a policy change altered (roles); the session and its expiry go on.
    void updateIdentity(const Identity &identity);
    // After a renewal: new tokens (the old ones leave the log redactor) and a later expiry.
    void renew(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims);
    // Ends the session if there is one; returns whether there was.
    bool end(EndReason reason);

    // Also checks the clock, so an identity never outlives its expiry because a timer was late
    // (e.g. across a suspend).
    bool isActive();
    const Identity &identity() const { return m_identity; }
    // identity().toJson(), kept between changes (expires_in as of now).
    QJsonObject identityJson() const;
    const TokenSet &tokens() const { return m_tokens; }
    // Changes whenever the identity or the tokens do: answers built from them can be kept until then.
    quint64 generation() const { return m_generation; }
    const QJsonObject &claims() const { return m_claims; }
    // Who the last session was, after it ended (for on_signout).
    const Identity &lastIdentity() const { return m_lastIdentity; }

    static QString reasonName(EndReason reason);

Q_SIGNALS:
    void started(const Signet::Identity &identity);
    void ended(const QString &provider, Signet::Session::EndReason reason);

private:
    // The session's identity, tokens and claims, and its expiry, from now on.
    void replace(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims);
    void armExpiry();

    Identity m_identity;
    mutable QJsonObject m_identityJson;
    quint64 m_generation = 0;
    TokenSet m_tokens;
    QJsonObject m_claims;
    Identity m_lastIdentity;
    QTimer m_expiry;
};

} // namespace Signet
