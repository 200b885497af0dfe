import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// The Signet window: one page per state of the agent and the session.
ApplicationWindow {
    id: window

    // Set by main.cpp (initial properties): the agent's socket, empty for the default one.
    property string socketPath
    property bool openBrowser: true

    width: 460
    height: 420
    minimumWidth: 360
    minimumHeight: 320
    visible: true
    title: qsTr("Signet")

    SessionController {
        id: session
        socketPath: window.socketPath
        openBrowser: window.openBrowser
    }

    StackLayout {
        id: pages
        objectName: "pages"

        anchors.fill: parent
        anchors.margins: 24
        currentIndex: {
            if (session.agentState === SessionController.Connecting)
                return 0;
            if (session.agentState === SessionController.Unavailable)
                return 1;
            switch (session.state) {
            case SessionController.SigningIn:
                return 3;
            case SessionController.Failed:
                return 4;
            case SessionController.SignedIn:
                return 5;
            default:
                return 2;
            }
        }

        ConnectingPage {
            controller: session
        }
        AgentUnavailablePage {
            controller: session
        }
        SignInPage {
            controller: session
        }
        SigningInPage {
            controller: session
        }
        FailurePage {
            controller: session
        }
        SignedInPage {
            controller: session
        }
    }
}
