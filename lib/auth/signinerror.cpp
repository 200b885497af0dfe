#include "signinerror.h"

namespace Signet {

QString SignInError::codeName(Code code)
{
    switch (code) {
    case Code::None: return QStringLiteral("none");
    case Code::Cancelled: return QStringLiteral("cancelled");
    case Code::StateExpired: return QStringLiteral("state_expired");
    case Code::AccessDenied: return QStringLiteral("access_denied");
    case Code::ProviderError: return QStringLiteral("provider_error");
    case Code::ProviderUnreachable: return QStringLiteral("provider_unreachable");
    case Code::ConfigError: return QStringLiteral("config_error");
    case Code::PolicyRefused: return QStringLiteral("policy_refused");
    case Code::KeychainError: return QStringLiteral("keychain_error");
    case Code::Internal: return QStringLiteral("internal");
    }
    return QStringLiteral("internal");
}

} // namespace Signet
