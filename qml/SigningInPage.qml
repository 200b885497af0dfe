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

    readonly property bool device: page.controller.userCode.length > 0

    Heading {
        objectName: "signingInHeading"
        text: page.device ? qsTr("Enter the code on another device")
            : page.controller.embeddedSignIn ? qsTr("Finish signing in in the sign-in window…")
            : qsTr("Finish signing in in your browser…")
    }
    // A device sign-in: where to go and which code to enter (RFC 8628).
    BodyText {
        visible: page.device
        text: qsTr("On a phone or another computer, open %1 and enter this code. Only enter it if you started this sign-in yourself.")
              .arg(page.controller.verificationUri)
    }
    Label {
        objectName: "userCode"
        visible: page.device
        text: page.controller.userCode
        font.pixelSize: 28
        font.family: "monospace"
        Layout.alignment: Qt.AlignHCenter
        Accessible.name: qsTr("Code to enter: %1").arg(text)
    }
    BodyText {
        visible: !page.device
        text: page.controller.embeddedSignIn
              ? qsTr("Signing in with %1. The sign-in page is open in a window of its own; this window updates when you are done.").arg(page.controller.signInProviderName)
              : page.controller.openBrowser
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
        visible: page.controller.authorizationUrl.length === 0 && !page.device
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
