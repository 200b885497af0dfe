#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace Signet {

// The agent's small state files ($XDG_STATE_HOME/signet/*.json): a JSON object with a format
// version, written atomically with mode 0600. A file that cannot be used is set aside
// (<path>.unreadable-<time>) and reported, never silently overwritten; one that exists but cannot
// be opened (permissions) is left alone and must not be replaced either.
class PrivateJsonFile
{
public:
    // `what` names the file for people ("the account registry").
    PrivateJsonFile(const QString &path, const QString &what, int version, qint64 maxBytes = 4 * 1024 * 1024);

    enum class ReadResult { Missing, Read, SetAside, Unreadable };
    // The object, or nothing (with `problem` unless the file is simply missing).
    std::optional<QJsonObject> read(ReadResult *result, QString *problem);
    // Writes `root` with the version added. Refused after an Unreadable read.
    bool write(QJsonObject root, QString *problem) const;

    QString path() const { return m_path; }

private:
    QString m_path;
    QString m_what;
    int m_version;
    qint64 m_maxBytes;
    bool m_readOnly = false;
};

} // namespace Signet
