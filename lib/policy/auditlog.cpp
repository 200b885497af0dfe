#include "auditlog.h"

#include "logging/logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcAudit, "signet.audit", QtInfoMsg)

namespace Signet {

AuditLog::AuditLog(const QString &path)
    : m_path(path)
{
}

void AuditLog::rotateIfNeeded(qint64 incoming)
{
    const QFileInfo info(m_path);
    if (!info.exists() || info.size() + incoming <= MaxBytes)
        return;
    QFile::remove(m_path + QStringLiteral(".%1").arg(Keep));
    for (int i = Keep - 1; i >= 1; --i)
        QFile::rename(m_path + QStringLiteral(".%1").arg(i), m_path + QStringLiteral(".%1").arg(i + 1));
    QFile::rename(m_path, m_path + QStringLiteral(".1"));
}

void AuditLog::record(const QString &event, const QJsonObject &fields)
{
    QJsonObject entry = fields;
    entry.insert(QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    entry.insert(QStringLiteral("event"), event);
    const QByteArray line = QJsonDocument(entry).toJson(QJsonDocument::Compact) + '\n';
    qCInfo(lcAudit).noquote() << line.trimmed();
    if (m_path.isEmpty())
        return;
    const QString directory = QFileInfo(m_path).absolutePath();
    if (!QFileInfo::exists(directory) && QDir().mkpath(directory))
        QFile::setPermissions(directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    rotateIfNeeded(line.size());
    QFile file(m_path);
    // Created 0600 from the start: never readable by others, not even for a moment.
    if (!file.open(QIODevice::Append, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        qCWarning(lcSession).noquote() << "cannot write the audit log" << m_path << ":" << file.errorString();
        return;
    }
    file.write(line);
}

} // namespace Signet
