#pragma once

#include "jwks.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <chrono>

namespace Signet {

// Why an ID token was refused: one check per rule of OpenID Connect Core §3.1.3.7 and the JWT
// BCP (RFC 8725). The message says which check failed in words an administrator can act on; it
// never contains the token, a signature or the nonce.
struct IdTokenError {
    enum class Check {
        None,
        Expectations,      // Signet itself was not told the issuer, client id or algorithms
        Format,            // not three strict base64url parts
        Header,            // the header is not a JSON object, or its kid is not a string
        Algorithm,         // alg missing, "none", HS*, or not allowed for this provider
        EmbeddedKey,       // the header carries jwk, jku, x5u or x5c: keys come from the JWKS only
        CriticalHeader,    // crit present: Signet understands no extension (RFC 7515 §4.1.11)
        UnknownKey,        // no key with the token's kid: refetch the JWKS once, then fail
        AmbiguousKey,      // no kid and several keys could have signed the token
        KeyType,           // the kid names a key of another type or curve than alg needs
        Signature,         // the signature does not verify
        Payload,           // the payload is not a JSON object
        Issuer,            // iss is not exactly the configured issuer
        Audience,          // aud missing, malformed, or without our client id
        UntrustedAudience, // aud names a party that is neither us nor trusted
        AuthorizedParty,   // azp missing with several audiences, or not our client id
        Expiry,            // exp missing, not a number, or past (beyond the skew)
        IssuedAt,          // iat missing, not a number, or in the future (beyond the skew)
        NotBefore,         // nbf not a number, or in the future (beyond the skew)
        Subject,           // sub missing or empty
        Nonce,             // nonce missing or not the one sent
        AuthTime,          // a refreshed token's auth_time differs from the original's
    };

    Check check = Check::None;
    QString message;

    bool isError() const { return check != Check::None; }
    // A stable name for logs and tests ("untrusted_audience").
    static QString checkName(Check check);
};

// What a valid ID token must look like for one sign-in.
struct IdTokenExpectations {
    // Skew allowed between our clock and the provider's. Desktop clocks are NTP-synchronised to
    // within seconds; two minutes covers a laptop that resumed from sleep before its clock caught
    // up. The common 5 minutes is not needed and would add 5 minutes of life to every expired or
    // replayed token; ID tokens themselves often live only 5 minutes.
    static constexpr std::chrono::seconds DefaultClockSkew{120};

    QString issuer;                                      // compared as an exact string (§3.1.3.7 item 2)
    QStringList alternativeIssuers;                      // also accepted (Google's "accounts.google.com")
                                                         // "{tenantid}" in either: filled with the token's tid
    QString clientId;                                    // must be in aud (item 3)
    QString nonce;                                       // the one sent; empty: not checked (refresh, §12.2)
    QStringList allowedAlgorithms{QStringLiteral("RS256")}; // see allowedAlgorithms() below
    QStringList trustedAudiences;                        // other audiences allowed besides clientId
    std::chrono::seconds clockSkew = DefaultClockSkew;
    QDateTime now;                                       // invalid: the current time
    QString providerName;                                // for messages ("Demo")
};

// The outcome of a validation: the claims of a valid token, or the check it failed.
struct IdTokenResult {
    QJsonObject claims;
    IdTokenError error;

    bool isValid() const { return !error.isError(); }
};

// Validates an ID token received from the token endpoint (OpenID Connect Core §3.1.3.7, with the
// JWT BCP, RFC 8725). Pure: no network, no clock unless `now` is left invalid.
class IdTokenValidator
{
public:
    static IdTokenResult validate(const QByteArray &compactJws, const JsonWebKeySet &keys, const IdTokenExpectations &expect);

    // The algorithms to accept from a provider: those it advertises in
    // id_token_signing_alg_values_supported (Discovery §3) that Signet supports. A provider that
    // advertises none gets RS256, the default of OpenID Connect Core §3.1.3.7 item 7.
    static QStringList allowedAlgorithms(const QStringList &advertised);

    // A refreshed ID token (OpenID Connect Core §12.2) must name the same issuer, subject,
    // audience and authorized party as the one from the sign-in, and the same auth_time if it has
    // one. Validate it with validate() first (with an empty nonce), then call this.
    static IdTokenError checkRefreshedIdToken(const QJsonObject &original, const QJsonObject &refreshed);

    // Compact JWS larger than this is refused before decoding (a few KiB is usual).
    static constexpr int MaxTokenBytes = 64 * 1024;
};

} // namespace Signet
