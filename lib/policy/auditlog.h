#pragma once

#include <QJsonObject>
#include <QString>

namespace Signet {

// What happened to this desktop's identity, for the person and for IT: sign-ins, refusals with
// their reasons, sign-outs, policy reloads. JSON lines in $XDG_STATE_HOME/signet/audit.jsonl
// (0600), rotated at MaxBytes into audit.jsonl.1 … .Keep; each entry also goes to the log category
// signet.audit, which the journal records when the agent runs under systemd. Entries carry
// identities and reasons, never a token, code or secret.
class AuditLog
{
public:
    explicit AuditLog(const QString &path);

    // Appends {"time": …, "event": event, …fields}. Failing to write is logged, never fatal.
    void record(const QString &event, const QJsonObject &fields);

    QString path() const { return m_path; }

    static constexpr qint64 MaxBytes = 1024 * 1024;
    static constexpr int Keep = 3;

private:
    void rotateIfNeeded(qint64 incoming);

    QString m_path;
};

} // namespace Signet
