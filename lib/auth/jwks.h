#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <openssl/types.h>

#include <chrono>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

// The JWS algorithms Signet verifies (RFC 7518 §3.1): RSASSA-PKCS1-v1_5, RSASSA-PSS and ECDSA
// on P-256/P-384. Never "none" and never HMAC (HS*): a public client has no secret that could
// verify an HMAC, and accepting one lets anyone who knows the public key forge tokens (RFC 8725 §2.1).
QStringList supportedJwsAlgorithms();

// Strict base64url without padding (RFC 7515 §2): only [A-Za-z0-9_-], no '=', and the canonical
// encoding only (no stray bits in the last character), so one value has exactly one spelling.
bool decodeBase64Url(const QByteArray &text, QByteArray *out);

// One public signing key from a provider's JWK Set (RFC 7517 §4), imported into OpenSSL.
// Only what an ID token may be signed with is accepted: RSA of at least 2048 bits
// (RFC 7518 §3.3) and EC on P-256 or P-384 (RFC 7518 §3.4). Copies share one EVP_PKEY.
class JsonWebKey
{
public:
    enum class Type { Rsa, Ec };

    JsonWebKey() = default;

    // Imports one JWK. A key Signet cannot use gives a null key and, in *whyUnusable, a reason
    // for the log ("an 'oct' (shared secret) key", "RSA modulus of 1024 bits, 2048 required").
    static JsonWebKey fromJson(const QJsonObject &jwk, QString *whyUnusable);

    bool isNull() const { return !m_key; }
    Type type() const { return m_type; }
    QString keyId() const { return m_keyId; }
    QString algorithm() const { return m_algorithm; } // the JWK's "alg", often empty
    QString curve() const { return m_curve; }         // "P-256" or "P-384" for EC keys
    int bits() const { return m_bits; }
    // "RSA key 'k1' (2048 bits)": for messages and logs.
    QString describe() const;

    // Whether this key may verify a JWS made with `alg`: the family must match (RS*/PS* need an
    // RSA key, ES256 a P-256 key, ES384 a P-384 key) and so must the JWK's own "alg" if it has one
    // (RFC 7517 §4.4).
    bool canVerify(const QString &alg) const;

    // Borrowed; valid while any copy of this key lives.
    EVP_PKEY *evpKey() const { return m_key.get(); }

private:
    std::shared_ptr<EVP_PKEY> m_key;
    Type m_type = Type::Rsa;
    QString m_keyId;
    QString m_algorithm;
    QString m_curve;
    int m_bits = 0;
};

// Why a key set could not be had. Unusable keys inside a good document are not an error: they are
// skipped and logged (providers routinely publish encryption keys next to signing keys).
struct JwksError {
    enum class Code {
        None,
        Unreachable, // network failure, TLS failure, timeout, response too large
        BadDocument, // HTTP error status, not JSON, no "keys" array, not https
        NoUsableKey, // a well-formed set without a single key Signet can verify with
    };
    Code code = Code::None;
    QString message;

    bool isError() const { return code != Code::None; }
};

// A provider's JWK Set (RFC 7517 §5): the usable keys, and why the others were skipped.
class JsonWebKeySet
{
public:
    struct Skipped {
        int index = 0;  // position in "keys"
        QString keyId;  // may be empty
        QString reason;
    };

    // The answer to "which key verifies this token?".
    struct Lookup {
        enum class Result {
            Found,
            UnknownKeyId, // no key with this kid (or, without kid, no key fits): refetch the set once
            WrongKeyType, // the kid exists but names a key of another type, curve or alg
            Ambiguous,    // no kid in the token and several keys could fit
        };
        Result result = Result::UnknownKeyId;
        JsonWebKey key;
    };

    // Parses a JWK Set document. A document without a "keys" array is BadDocument; a document
    // whose keys are all unusable is NoUsableKey (the skipped reasons say why).
    static JsonWebKeySet fromJson(const QJsonObject &document, JwksError *error = nullptr);

    // Finds the key for a token's header. With a kid, the key with that kid whose type fits `alg`
    // (RFC 7515 §4.1.4; two keys may share a kid only if their types differ, RFC 7517 §4.5).
    // Without a kid, the one key that fits `alg`, and only if exactly one does.
    Lookup find(const QString &keyId, const QString &alg) const;

    bool contains(const QString &keyId) const;
    bool isEmpty() const { return m_keys.isEmpty(); }
    const QList<JsonWebKey> &keys() const { return m_keys; }
    const QList<Skipped> &skipped() const { return m_skipped; }

    // More keys than this in one document are skipped: no provider needs them, and each costs an
    // import and a public-key check.
    static constexpr int MaxKeys = 50;

private:
    QList<JsonWebKey> m_keys;
    QList<Skipped> m_skipped;
};

// The signing keys of one provider, fetched from its jwks_uri. A job in the house shape: fetch(),
// then one finished(); read keys() or error() afterwards. The manager given decides the timeouts
// and the size cap (use a BoundedNetworkAccessManager).
//
// Key rotation (OpenID Connect Core §10.1.1): when a token names a kid the cache does not have,
// call refreshForUnknownKey() once. It refetches the set, but not more often than
// minimumRefreshInterval() (default 60 s), so tokens with made-up kids cannot make Signet hammer
// the provider.
class JwksCache : public QObject
{
    Q_OBJECT
public:
    // providerName appears in error messages ("Could not reach Demo to fetch its signing keys").
    explicit JwksCache(const QString &providerName, QObject *parent = nullptr);
    ~JwksCache() override;

    // Fetches the set from `jwksUri` (https, or http to a loopback address only). While a fetch
    // runs, another call for the same URI joins it: one request, one finished().
    void fetch(QNetworkAccessManager *network, const QUrl &jwksUri);

    // Refetches from the last URI after a token named an unknown key. Returns true when finished()
    // will follow (a fetch started or was already running), false when the last fetch started
    // less than minimumRefreshInterval() ago or there is nothing to refetch: the token then fails.
    bool refreshForUnknownKey();

    bool isFetching() const;
    // The last good set. A failed refetch keeps it: a provider hiccup does not drop good keys.
    const JsonWebKeySet &keys() const { return m_keys; }
    // The outcome of the last fetch.
    const JwksError &error() const { return m_error; }
    QUrl jwksUri() const { return m_uri; }

    std::chrono::milliseconds minimumRefreshInterval() const { return m_minimumInterval; }
    void setMinimumRefreshInterval(std::chrono::milliseconds interval) { m_minimumInterval = interval; }

    static constexpr std::chrono::milliseconds DefaultMinimumRefreshInterval{60'000};

    // Keys from a successful fetch are reused for at most maxAge() (default 24 h); after that the
    // next sign-in fetches the set again. Without it a long-running agent would trust a key the
    // provider withdrew (say, after it leaked) for as long as the agent runs.
    bool isFresh() const;
    std::chrono::milliseconds maxAge() const { return m_maxAge; }
    void setMaxAge(std::chrono::milliseconds age) { m_maxAge = age; }
    static constexpr std::chrono::milliseconds DefaultMaxAge{24 * 3600 * 1000};

Q_SIGNALS:
    void finished();

private:
    void start();
    void onReplyFinished(QNetworkReply *reply, quint64 generation);
    void finish(const JwksError &error);

    QString m_providerName;
    QPointer<QNetworkAccessManager> m_network;
    QUrl m_uri;
    QPointer<QNetworkReply> m_reply;
    quint64 m_generation = 0; // ignores a reply that a newer fetch replaced
    QElapsedTimer m_lastFetch; // monotonic: wall-clock jumps do not lift the rate limit
    std::chrono::milliseconds m_minimumInterval = DefaultMinimumRefreshInterval;
    QElapsedTimer m_fetchedAt; // the last successful fetch
    std::chrono::milliseconds m_maxAge = DefaultMaxAge;
    JsonWebKeySet m_keys;
    JwksError m_error;
};

} // namespace Signet
