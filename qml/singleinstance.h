#pragma once

#include <QLockFile>
#include <QObject>
#include <QString>

#include <memory>

class QLocalServer;

namespace Signet {

// One Signet window per user: the first instance holds a lock file and listens on a socket next to
// it ($XDG_RUNTIME_DIR/signet/window.sock); a second launch finds the lock taken, asks the first to
// come to the front over the socket and exits. The lock (not the socket) decides who is first:
// QLocalServer::listen() on a taken path succeeds and steals the name (docs: toolchain notes).
//
// Logging category: signet.ui.instance.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    enum class Role {
        Primary,   // this process is the window; activationRequested() reports later launches
        Secondary, // another window runs and was asked to come to the front: exit
        Failed,    // neither could be established (no runtime directory, ...): run anyway
    };
    Q_ENUM(Role)

    // The directory holding window.sock and window.lock; empty means $XDG_RUNTIME_DIR/signet.
    explicit SingleInstance(const QString &directory = QString(), QObject *parent = nullptr);
    ~SingleInstance() override;

    // Decides the role; blocks for at most about a second (only when another instance is found).
    Role claim();
    QString socketPath() const { return m_socketPath; }
    QString errorString() const { return m_error; }

    // The first bytes of a request: a version, so that a newer window can talk to an older one.
    static constexpr char Greeting[] = "signet-window 1 activate\n";

Q_SIGNALS:
    // A second launch asked this window to show itself.
    void activationRequested();

private:
    bool listen();
    bool askPrimaryToActivate();

    QString m_directory;
    QString m_socketPath;
    QString m_error;
    std::unique_ptr<QLockFile> m_lock;
    QLocalServer *m_server = nullptr;
};

} // namespace Signet
