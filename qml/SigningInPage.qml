import QtQml
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// A sign-in runs: it is finished in the browser. The address is shown too, for when no browser
// opened or the person prefers another one.
ColumnLayout {
    id: page

    required property SessionController controller

    spacing: 12
    onVisibleChanged: if (visible) (copyButton.enabled ? copyButton : cancelButton).forceActiveFocus()

    Shortcut {
        sequence: "Esc"
        enabled: page.visible
        onActivated: page.controller.cancel()
    }

    Heading {
        text: qsTr("Finish signing in in your browser…")
    }
    BodyText {
        text: page.controller.openBrowser
              ? qsTr("Signing in with %1. Your browser shows the sign-in page; this window updates when you are done.").arg(page.controller.signInProviderName)
              : qsTr("Signing in with %1. Open the address below in your browser; this window updates when you are done.").arg(page.controller.signInProviderName)
    }
    BodyText {
        objectName: "notice"
        text: page.controller.notice
        visible: text.length > 0
    }
    BusyIndicator {
        Layout.alignment: Qt.AlignHCenter
        visible: page.controller.authorizationUrl.length === 0
        running: visible
        Accessible.name: qsTr("Waiting for the sign-in address")
    }
    Label {
        text: qsTr("Sign-in address:")
        visible: page.controller.authorizationUrl.length > 0
        Accessible.name: text
    }
    TextArea {
        id: urlField
        objectName: "authorizationUrl"
        Layout.fillWidth: true
        visible: page.controller.authorizationUrl.length > 0
        text: page.controller.authorizationUrl
        readOnly: true
        selectByMouse: true
        selectByKeyboard: true
        wrapMode: TextEdit.WrapAnywhere
        font.family: "monospace"
        Accessible.name: qsTr("Sign-in address")
        Accessible.description: text
    }
    RowLayout {
        Layout.fillWidth: true
        spacing: 8

        Button {
            id: copyButton
            objectName: "copyButton"
            text: copiedTimer.running ? qsTr("Copied") : qsTr("Copy address")
            enabled: page.controller.authorizationUrl.length > 0
            onClicked: {
                page.controller.copyUrl();
                copiedTimer.restart();
            }
            Accessible.name: qsTr("Copy the sign-in address")

            Timer {
                id: copiedTimer
                interval: 2000
            }
        }
        Button {
            objectName: "openButton"
            text: qsTr("Open browser")
            visible: page.controller.openBrowser
            enabled: page.controller.authorizationUrl.length > 0
            onClicked: page.controller.openUrl()
            Accessible.name: qsTr("Open the sign-in address in the browser again")
        }
        Item {
            Layout.fillWidth: true
        }
        Button {
            id: cancelButton
            objectName: "cancelButton"
            text: qsTr("Cancel")
            onClicked: page.controller.cancel()
            Accessible.name: qsTr("Cancel signing in")
        }
    }
    Item {
        Layout.fillHeight: true
    }
}
