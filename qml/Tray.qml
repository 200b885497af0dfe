pragma ComponentBehavior: Bound

import QtQuick
import Qt.labs.platform as Platform
import Signet.App

// The tray icon (where the desktop has a tray): the state at a glance, sign in or out, open the
// window. Loaded by Main.qml only when main.cpp found a tray (Qt.labs.platform needs QApplication).
Platform.SystemTrayIcon {
    id: tray

    required property SessionController controller
    required property var window

    readonly property var identity: controller.identity
    readonly property bool signedIn: controller.state === SessionController.SignedIn
    readonly property bool needsAttention: signedIn && (controller.attention.length > 0 || controller.expiring
                                                        || controller.consentRequests.length > 0)

    function showWindow() {
        tray.window.show();
        tray.window.raise();
        tray.window.requestActivate();
    }

    visible: available
    icon.source: needsAttention ? "qrc:/signet/icons/signet-attention.svg"
                                : signedIn ? "qrc:/signet/icons/signet-signed-in.svg" : "qrc:/signet/icons/signet.svg"
    tooltip: {
        if (controller.agentState !== SessionController.Ready)
            return qsTr("Signet: the agent is not running");
        if (controller.consentRequests.length > 0)
            return qsTr("Signet: an app is waiting for your answer");
        if (needsAttention)
            return qsTr("Signet: sign in again soon");
        if (signedIn)
            return qsTr("Signet: signed in as %1").arg(tray.identity.email || tray.identity.name || "");
        return qsTr("Signet: not signed in");
    }
    onActivated: reason => {
        if (reason === Platform.SystemTrayIcon.Trigger || reason === Platform.SystemTrayIcon.DoubleClick)
            tray.showWindow();
    }

    menu: Platform.Menu {
        id: trayMenu

        Platform.MenuItem {
            text: qsTr("Open Signet")
            onTriggered: tray.showWindow()
        }
        Platform.MenuSeparator {}
        Platform.MenuItem {
            text: qsTr("Sign out")
            visible: tray.signedIn
            onTriggered: tray.controller.signOut()
        }
        Instantiator {
            model: tray.signedIn || tray.controller.state === SessionController.SigningIn ? [] : tray.controller.providers
            delegate: Platform.MenuItem {
                required property var modelData
                text: modelData.buttonText
                enabled: modelData.available
                onTriggered: {
                    tray.controller.signIn(modelData.id);
                    tray.showWindow();
                }
            }
            onObjectAdded: (index, object) => trayMenu.insertItem(index + 2, object)
            onObjectRemoved: (index, object) => trayMenu.removeItem(object)
        }
        Platform.MenuSeparator {}
        Platform.MenuItem {
            text: qsTr("Quit")
            onTriggered: Qt.quit()
        }
    }
}
