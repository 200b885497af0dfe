import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// The agent cannot be reached: say so, say how to start it, and keep retrying in the background.
ColumnLayout {
    id: page

    required property SessionController controller

    spacing: 12
    onVisibleChanged: if (visible) retryButton.forceActiveFocus()

    Heading {
        text: page.controller.errorCode === SessionController.UnsupportedProtocol
              ? qsTr("The Signet agent is a different version")
              : qsTr("The Signet agent is not running")
    }
    BodyText {
        text: {
            switch (page.controller.errorCode) {
            case SessionController.NoRuntimeDirectory:
                return qsTr("This window was started without XDG_RUNTIME_DIR, so it cannot find the agent. Start it from your desktop session instead of su or sudo.");
            case SessionController.UnsupportedProtocol:
                return qsTr("This window and signet-agent do not speak the same protocol. Install matching versions of both.");
            default:
                return qsTr("Signet signs you in through signet-agent, a small program that runs in the background. Start it (for example, run “signet-agent &” in a terminal); this window connects as soon as it runs.");
            }
        }
    }
    BodyText {
        objectName: "agentProblem"
        text: page.controller.errorMessage
        visible: text.length > 0
        opacity: 0.7
        font.pixelSize: 12
    }
    Button {
        id: retryButton
        objectName: "retryButton"
        text: qsTr("Retry")
        onClicked: page.controller.retry()
        Accessible.name: qsTr("Retry connecting to the agent")
    }
    Item {
        Layout.fillHeight: true
    }
}
