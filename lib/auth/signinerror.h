#pragma once

#include <QString>

namespace Signet {

// Why a sign-in ended without an identity. Each code is one thing a person can act on; the
// message says what happened and what to do next. (The web ancestors of this product answered
// every case with "State Mismatched. Time expired?".)
struct SignInError {
    enum class Code {
        None,
        Cancelled,           // someone called cancel
        StateExpired,        // not finished within state_timeout
        AccessDenied,        // the person declined at the provider
        ProviderError,       // the provider answered with an error or with something unacceptable
        ProviderUnreachable, // network failure, TLS failure or timeout talking to the provider
        ConfigError,         // the configuration does not allow this sign-in
        PolicyRefused,       // the provider vouched for someone this configuration does not admit
        KeychainError,       // the tokens could not be put in the keychain (and require_keychain is set)
        Internal,            // a local failure (e.g. cannot listen on the loopback interface)
    };

    SignInError() = default;
    SignInError(Code errorCode, QString errorMessage, QString failedCheck = {})
        : code(errorCode)
        , message(std::move(errorMessage))
        , check(std::move(failedCheck))
    {
    }

    Code code = Code::None;
    QString message;
    // For a refused ID token: the rule that failed ("nonce", "audience", …); for a provider's error
    // answer to a token request: its OAuth error code ("invalid_grant"). For programs and logs.
    QString check;

    bool isError() const { return code != Code::None; }
    // The stable protocol name of the code ("state_expired").
    static QString codeName(Code code);
};

} // namespace Signet
