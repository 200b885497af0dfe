#pragma once

#include <QByteArray>

namespace Signet {

// Random values for one sign-in attempt (RFC 7636, RFC 6749 §10.10, OpenID Connect Core §3.1.2.1).
// All come from the operating system's CSPRNG (QRandomGenerator::system()).
namespace Pkce {

// `bytes` random bytes, base64url-encoded without padding: 32 bytes give 43 characters (256 bits).
QByteArray randomToken(int bytes = 32);

// The S256 code challenge: BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2.
QByteArray challengeFor(const QByteArray &verifier);

// A code verifier: 43 characters from the unreserved set [A-Za-z0-9-._~] (RFC 7636 §4.1 wants 43-128).
inline QByteArray newVerifier() { return randomToken(32); }

} // namespace Pkce
} // namespace Signet
