#pragma once

#include <QByteArray>
#include <QList>
#include <QSettings>
#include <QObject>
#include <QString>

#include <chrono>
#include <functional>

namespace QKeychain {
class Job;
}

namespace Signet {

// The operating system's keychain through QtKeychain (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows) — and nothing else: the insecure plaintext fallback is never
// enabled, so nothing secret is ever written to a file and nothing planted in QtKeychain's
// fallback file is ever read back.
//
// Every entry lives under the service "signet"; keys name the installation, provider and account.
class Keychain : public QObject
{
    Q_OBJECT
public:
    enum class Error {
        None,
        NotFound,    // no such entry (also what a locked Secret Service answers to a read)
        Unavailable, // no keychain service: not installed, not running, no session bus
        Denied,      // the person or the system refused access
        Failed,      // anything else (a locked keyring refusing a write, a broken entry)
    };
    struct Result {
        Error error = Error::None;
        QString message; // for a person: what is wrong and what to do
        QByteArray data; // for reads
        bool ok() const { return error == Error::None; }
    };
    using Callback = std::function<void(const Result &)>;

    explicit Keychain(QObject *parent = nullptr);

    void write(const QString &key, const QByteArray &data, Callback done);
    void read(const QString &key, Callback done);
    void remove(const QString &key, Callback done);

    // Windows' Credential Manager keeps at most 2560 bytes per entry (CRED_MAX_CREDENTIAL_BLOB_SIZE),
    // and a session with an Entra ID token is often larger. Values longer than the limit are kept in
    // parts of at most that size (see keychain.cpp for the layout and why a kill cannot mix them);
    // 0 is no limit, what Secret Service and the macOS Keychain need (an entry in parts still reads
    // back whole and is removed whole whatever the limit). On Windows the limit is
    // WindowsPartBytes; tests set a small one to exercise the parts on Linux.
    void setMaxEntryBytes(qsizetype bytes) { m_maxEntryBytes = bytes; }
    qsizetype maxEntryBytes() const { return m_maxEntryBytes; }

    // Whether the keychain takes a write, told by writing `probeKey` and removing it again. A locked
    // Secret Service answers reads as "not found" and removals as done, as if nothing were stored; only
    // a write shows that it is locked. The caller's key is fixed, so a probe a kill interrupted is
    // overwritten by the next one rather than left behind.
    void probeWritable(const QString &probeKey, std::function<void(bool writable)> answer);

    // Whether no operation is under way (an agent that stops waits for this: a removal cut short would
    // leave tokens in the keychain that nothing points to any more).
    bool isIdle() const { return m_pending == 0; }

    static const QString Service;
    static constexpr std::chrono::milliseconds Timeout{10'000};
    static constexpr qsizetype WindowsPartBytes = 2048; // under the 2560-byte limit, with room to spare
    // A value is never split into more parts than this (a token response of 64 KiB would be absurd).
    static constexpr int MaxParts = 32;

Q_SIGNALS:
    void idle();

protected:
    // One QtKeychain job on one entry, as it is stored (tests look at the parts through these).
    void writeEntry(const QString &key, const QByteArray &data, Callback done);
    void readEntry(const QString &key, Callback done);
    void removeEntry(const QString &key, Callback done);

private:
    struct Parts {
        int generation = -1; // -1: the value is not in parts
        int count = 0;
        qsizetype size = 0;
        QByteArray sha256;
        bool isParted() const { return generation >= 0; }
    };
    static Parts partsOf(const QByteArray &entry);
    static QString partKey(const QString &key, int generation, int index);

    // The parts [from, parts.count) of a value, in order; then done.
    void writeParts(const QString &key, int generation, const QList<QByteArray> &parts, int from, Callback done);
    void readParts(const QString &key, const Parts &parts, int index, QByteArray collected, Callback done);
    // Best effort, for parts no manifest names any more: a generation's indices [from, to).
    void removeParts(const QString &key, int generation, int from, int to);

    // Calls `done` exactly once: with the job's result, or with Unavailable after Timeout.
    Callback once(Callback done);
    // Hands QtKeychain a settings store that holds nothing and keeps nothing (see keychain.cpp).
    void configure(QKeychain::Job *job);

    qsizetype m_maxEntryBytes = 0;
    int m_pending = 0;
    QSettings *m_noPlaintext;
};

} // namespace Signet
