#pragma once

#include "config/config.h"
#include "ipc/caller.h"
#include "privatejsonfile.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Signet {

// Which companion apps may use the signed-in identity (docs/ipc.md "Who is calling"). IT's
// [app.<id>] grants come first and cannot be changed here; the person's answers to consent
// prompts are remembered in $XDG_STATE_HOME/signet/grants.json (0600) and can be revoked.
struct AppGrant {
    QString id;     // "app.<id>" for IT's grants, the caller id ("exe:/usr/bin/foo") for the person's
    QString name;
    QString exe;
    QString script;
    QStringList scopes; // "*" = whatever the session holds
    bool allow = true;
    bool fromPolicy = false;
    QDateTime grantedAt; // the person's answer; invalid for IT's grants

    QJsonObject toJson() const;
};

class AppGrants
{
public:
    explicit AppGrants(const QString &path);

    // A missing file is no grants; an unusable one is set aside (see PrivateJsonFile).
    bool load(QString *problem = nullptr);
    bool save(QString *problem = nullptr) const;

    void setPolicy(const QList<AppGrantConfig> &apps)
    {
        m_policy = apps;
        m_canonical.clear();
    }

    // The grant that applies to an identified caller: IT's first, then the person's; none for an
    // app nobody decided about yet.
    std::optional<AppGrant> find(const Caller &caller) const;
    // IT's grants, then the person's, for `apps`.
    QList<AppGrant> all() const;
    // The person's answer to a consent prompt (an app can never record one for itself: only the
    // agent calls this, for an answer from the window).
    AppGrant remember(const Caller &caller, bool allow, const QStringList &scopes);
    bool revoke(const QString &id);
    // Forgets every answer (reset). Returns how many there were.
    int clear();

    static QString defaultPath();

    static constexpr qint64 CanonicalPathLifeMs = 5000;

private:
    bool samePath(const QString &configured, const QString &actual) const;

    PrivateJsonFile m_file;
    mutable QHash<QString, QString> m_canonical; // configured path -> canonical path ("" if missing)
    mutable QElapsedTimer m_resolvedAt;
    QList<AppGrantConfig> m_policy;
    QList<AppGrant> m_user;
};

} // namespace Signet
