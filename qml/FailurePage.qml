import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// The last sign-in failed: the agent's message, then try again or go back.
ColumnLayout {
    id: page

    required property SessionController controller

    spacing: 12
    onVisibleChanged: if (visible) retryButton.forceActiveFocus()

    Heading {
        text: qsTr("Signing in did not work")
    }
    BodyText {
        objectName: "errorMessage"
        text: page.controller.errorMessage
    }
    RowLayout {
        spacing: 8

        Button {
            id: retryButton
            objectName: "retryButton"
            text: qsTr("Try again")
            onClicked: page.controller.retry()
            Accessible.name: qsTr("Try signing in again")
        }
        Button {
            objectName: "backButton"
            text: qsTr("Back")
            onClicked: page.controller.dismiss()
            Accessible.name: qsTr("Back to the sign-in choices")
        }
    }
    Item {
        Layout.fillHeight: true
    }
}
