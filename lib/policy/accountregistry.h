#pragma once

#include "privatejsonfile.h"

#include <QDateTime>
#include <QHash>
#include <QString>
#include <QStringList>

namespace Signet {

// This desktop's accounts: who has signed in here before, with which roles. Keyed by the provider's
// issuer and the account key (tid/oid for Entra ID, the numeric id for GitHub, the subject
// otherwise) — never by e-mail address. Holds no secret.
//
// Stored as JSON in $XDG_STATE_HOME/signet/accounts.json (0600), written atomically. A file that
// cannot be read as a registry is set aside (accounts.json.unreadable-<time>) and reported, never
// silently overwritten.
struct RegisteredAccount {
    QString issuer;
    QString account;
    QString provider; // the provider id it last signed in with
    QString email;    // as last seen, verified or not: information only
    QString name;
    QStringList roles; // Signet roles granted at registration (or re-applied, with always_update)
    QDateTime registeredAt;
    QDateTime lastSignInAt;
};

class AccountRegistry
{
public:
    explicit AccountRegistry(const QString &path);

    // Reads the file; a missing file is an empty registry. Returns false (with `problem`) when the
    // file existed but could not be used; it was then moved aside and the registry is empty.
    bool load(QString *problem = nullptr);
    // Writes atomically with mode 0600. Returns false with `problem` when it cannot.
    bool save(QString *problem = nullptr) const;

    const RegisteredAccount *find(const QString &issuer, const QString &account) const;
    void upsert(const RegisteredAccount &account);
    bool remove(const QString &issuer, const QString &account);
    void clear() { m_accounts.clear(); }
    QList<RegisteredAccount> accounts() const { return m_accounts.values(); }
    QString path() const { return m_file.path(); }

    // Where it lives by default: $XDG_STATE_HOME/signet/accounts.json (~/.local/state/...).
    static QString defaultPath();
    // $XDG_STATE_HOME/signet: the agent's state (registry, audit log).
    static QString defaultStateDirectory();

private:
    static QString key(const QString &issuer, const QString &account) { return issuer + QLatin1Char('\n') + account; }

    PrivateJsonFile m_file;
    QHash<QString, RegisteredAccount> m_accounts;
};

} // namespace Signet
