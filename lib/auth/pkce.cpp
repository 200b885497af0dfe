#include "pkce.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <vector>

namespace Signet::Pkce {

static constexpr auto Base64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray randomToken(int bytes)
{
    Q_ASSERT(bytes > 0);
    const int words = (bytes + 3) / 4;
    std::vector<quint32> buffer(words);
    QRandomGenerator::system()->fillRange(buffer.data(), buffer.size());
    return QByteArray(reinterpret_cast<const char *>(buffer.data()), bytes).toBase64(Base64Url);
}

QByteArray challengeFor(const QByteArray &verifier)
{
    return QCryptographicHash::hash(verifier, QCryptographicHash::Sha256).toBase64(Base64Url);
}

} // namespace Signet::Pkce
