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
        objectName: "errorSummary"
        text: page.controller.errorSummary || qsTr("Signing in did not work")
    }
    BodyText {
        objectName: "errorAdvice"
        text: page.controller.errorAdvice
        visible: text.length > 0
    }
    // The agent's own words: the precise reason, and IT's help text when policy refused.
    Label {
        text: qsTr("Details:")
        font.bold: true
        visible: errorMessage.visible
        Accessible.name: text
    }
    BodyText {
        id: errorMessage
        objectName: "errorMessage"
        text: page.controller.errorMessage
        visible: text.length > 0
        textFormat: Text.PlainText
        opacity: 0.8
    }
    RowLayout {
        spacing: 8

        Button {
            id: retryButton
            objectName: "tryAgainButton"
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
