import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtWebEngine

// The provider's sign-in page, with where it comes from always visible (the host, and whether the
// connection is encrypted), a way out, and nothing else: no address bar, no navigation elsewhere.
ApplicationWindow {
    id: window

    required property url startUrl
    // The agent's loopback address: reaching it ends the sign-in here. Empty: never closes by itself.
    required property string redirectPrefix

    property bool finished: false

    // Exit status for the window that started us: 0 when the page reached the agent, 3 when the
    // person closed it before (the window then cancels the sign-in at the agent).
    readonly property int gaveUp: 3
    onClosing: Qt.exit(window.finished ? 0 : window.gaveUp)

    width: 520
    height: 720
    visible: true
    title: qsTr("Sign in — Signet")

    function reachedRedirect(url) {
        return window.redirectPrefix.length > 0 && url.toString().startsWith(window.redirectPrefix);
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 6
            spacing: 8

            Label {
                objectName: "origin"
                Layout.fillWidth: true
                elide: Text.ElideMiddle
                text: {
                    const url = web.url.toString();
                    const secure = url.startsWith("https:");
                    const host = url.replace(/^[a-z]+:\/\//, "").replace(/[/?#].*$/, "");
                    return secure ? qsTr("Secure connection to %1").arg(host) : qsTr("Connection to %1").arg(host);
                }
                Accessible.name: text
            }
            Button {
                objectName: "closeButton"
                text: qsTr("Close")
                onClicked: Qt.exit(window.finished ? 0 : window.gaveUp)
                Accessible.name: qsTr("Close the sign-in page")
            }
        }
    }

    WebEngineProfile {
        id: profile
        // Nothing of the session is written to disk: kiosks are shared.
        offTheRecord: true
    }

    WebEngineView {
        id: web
        objectName: "web"
        anchors.fill: parent
        // The page takes the keyboard at once (its login field has autofocus).
        focus: true
        profile: profile
        url: window.startUrl
        onLoadingChanged: request => {
            if (!window.reachedRedirect(request.url))
                return;
            // The agent has the answer (its page says so); give the person a moment to read it.
            if (request.status === WebEngineView.LoadSucceededStatus || request.status === WebEngineView.LoadFailedStatus) {
                window.finished = true;
                closeTimer.start();
            }
        }
        // New windows (target=_blank) open here, not in a second window.
        onNewWindowRequested: request => web.url = request.requestedUrl
    }

    Timer {
        id: closeTimer
        interval: 1500
        onTriggered: Qt.quit()
    }
}
