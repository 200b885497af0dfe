#pragma once

#include "auth/discovery.h"
#include "keychain.h"
#include "session/identity.h"

#include <QJsonObject>
#include <QObject>

#include <functional>

namespace Signet {

// Keeps the session across agent restarts: the secrets (access, refresh and ID token) as one
// keychain entry, replaced in one write so old and new tokens never mix; what is not secret (who,
// until when, the provider's endpoints, the ID token's claims) in $XDG_STATE_HOME/signet/session.json
// (0600). The keychain entry's key names this installation, the provider and the account.
class SessionStore : public QObject
{
    Q_OBJECT
public:
    struct Stored {
        Identity identity;
        TokenSet tokens;
        ProviderMetadata metadata;
        QJsonObject claims;
        QString clientId; // the client the tokens belong to (a device client, perhaps)
    };
    using Done = std::function<void(const Keychain::Result &)>;
    using Loaded = std::function<void(const Keychain::Result &, const Stored &)>;

    explicit SessionStore(const QString &stateDirectory, QObject *parent = nullptr);

    // Writes the keychain entry first, then the record. The callback says whether the secrets are
    // in the keychain. A clear() before the write finishes wins: the save then stores nothing.
    void save(const Stored &session, Done done);
    // Error::NotFound when there is no stored session (or it is incomplete or unreadable: then it
    // has been cleared); the caller starts signed out.
    void load(Loaded done);
    void clear(Done done = {});

    QString recordPath() const;
    // Calls `done` once every keychain operation under way has finished, or after `limit`: before the
    // agent exits, so a sign-out's removal is not cut short.
    void whenIdle(std::chrono::milliseconds limit, std::function<void()> done);

private:
    QString installationId();
    QString keyFor(const Identity &identity);

    // The entry Keychain::probeWritable writes and removes again, one per installation.
    QString probeKey();
    // clear(); checkWritable: whether a removal answered as done must be confirmed by a probe (not when
    // the keychain has just shown that it is open).
    void clearStored(Done done, bool checkWritable);
    // After a read found no entry: clears the record if the entry is really gone, keeps it if the
    // keychain is merely locked.
    void forgetUnlessLocked(const QString &key, const Stored &stored, const Keychain::Result &notFound, Loaded done);
    // The secrets read (or the error): the session, or why there is none.
    void finishLoad(const Keychain::Result &result, Stored stored, Loaded done);
    // The state directory, 0700.
    void makeDirectory();
    // session.json, 0600, replaced in one step.
    bool writeRecord(const QJsonObject &record, QString *problem = nullptr);
    // Writes a newly made installation id next to the record; false when it cannot.
    bool keepInstallationId();

    QString m_directory;
    QString m_installationId; // read (or made) once
    bool m_installationIdStored = true;
    quint64 m_clears = 0; // a save that finds this changed was overtaken by a clear (a sign-out)
    quint64 m_saves = 0;
    Keychain m_keychain;
};

} // namespace Signet
