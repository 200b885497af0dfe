#pragma once

#include <QByteArray>
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

    static const QString Service;
    static constexpr std::chrono::milliseconds Timeout{10'000};
    // Windows' Credential Manager keeps at most 2560 bytes per entry (CRED_MAX_CREDENTIAL_BLOB_SIZE):
    // on Windows larger values are refused before the write, with a message that says why. (Not
    // built or tested here; Secret Service and the macOS Keychain have no such limit.)
    static constexpr qsizetype MaxEntryBytes = 2560;

private:
    // Calls `done` exactly once: with the job's result, or with Unavailable after Timeout.
    Callback once(Callback done);
    // Hands QtKeychain a settings store that holds nothing and keeps nothing (see keychain.cpp).
    void configure(QKeychain::Job *job);

    QSettings *m_noPlaintext;
};

} // namespace Signet
