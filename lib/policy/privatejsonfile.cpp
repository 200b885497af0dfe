#include "privatejsonfile.h"

#include "logging/logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

namespace Signet {

PrivateJsonFile::PrivateJsonFile(const QString &path, const QString &what, int version, qint64 maxBytes)
    : m_path(path)
    , m_what(what)
    , m_version(version)
    , m_maxBytes(maxBytes)
{
}

std::optional<QJsonObject> PrivateJsonFile::read(ReadResult *result, QString *problem)
{
    m_readOnly = false;
    QFile file(m_path);
    if (!file.exists()) {
        *result = ReadResult::Missing;
        return std::nullopt;
    }
    auto setAside = [&](const QString &why) -> std::optional<QJsonObject> {
        const QString aside = m_path + QStringLiteral(".unreadable-") + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddTHHmmssZ"));
        QFile::rename(m_path, aside);
        const QString message = QStringLiteral("%1 %2 %3; it was moved to %4 and a new one is started").arg(m_what, m_path, why, aside);
        qCWarning(lcSession).noquote() << message;
        if (problem)
            *problem = message;
        *result = ReadResult::SetAside;
        return std::nullopt;
    };
    if (QFileInfo(m_path).size() > m_maxBytes)
        return setAside(QStringLiteral("is larger than %1 KiB").arg(m_maxBytes / 1024));
    if (!file.open(QIODevice::ReadOnly)) {
        // Not moved: it may be fine and only unreadable now (permissions); never overwritten either.
        m_readOnly = true;
        if (problem)
            *problem = QStringLiteral("%1 %2 cannot be read (%3)").arg(m_what, m_path, file.errorString());
        *result = ReadResult::Unreadable;
        return std::nullopt;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    file.close();
    if (!document.isObject())
        return setAside(QStringLiteral("is not a JSON object (%1)").arg(error.errorString()));
    if (document.object().value(QLatin1String("version")).toInt() != m_version)
        return setAside(QStringLiteral("has an unknown format version"));
    *result = ReadResult::Read;
    return document.object();
}

bool PrivateJsonFile::write(QJsonObject root, QString *problem) const
{
    if (m_readOnly) {
        if (problem)
            *problem = QStringLiteral("%1 %2 could not be read at start; it is not overwritten").arg(m_what, m_path);
        return false;
    }
    const QString directory = QFileInfo(m_path).absolutePath();
    if (!QFileInfo::exists(directory) && QDir().mkpath(directory))
        QFile::setPermissions(directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    root.insert(QStringLiteral("version"), m_version);
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (problem)
            *problem = QStringLiteral("cannot write %1 %2: %3").arg(m_what, m_path, file.errorString());
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (problem)
            *problem = QStringLiteral("cannot write %1 %2: %3").arg(m_what, m_path, file.errorString());
        return false;
    }
    return true;
}

} // namespace Signet
