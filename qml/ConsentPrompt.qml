import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// An app asks to use the signed-in identity (the agent's consent-request): Allow or Deny. Shown on
// the signed-in screen only, so that nobody is asked before they know who they are signed in as.
Frame {
    id: prompt

    required property SessionController controller
    required property Theme theme
    // {request, appId, name, exe, script, scopes, expiresAt}
    required property var consent

    // Seconds until the agent gives up waiting (and refuses the app); -1 when unknown.
    property int secondsLeft: -1

    function updateSecondsLeft() {
        prompt.secondsLeft = prompt.consent.expiresAt ? Math.max(0, Math.round((prompt.consent.expiresAt.getTime() - Date.now()) / 1000)) : -1;
    }

    Component.onCompleted: updateSecondsLeft()
    onConsentChanged: updateSecondsLeft()

    Timer {
        interval: 1000
        repeat: true
        running: prompt.secondsLeft > 0
        onTriggered: prompt.updateSecondsLeft()
    }

    objectName: "consent-" + consent.request
    padding: 14
    background: Rectangle {
        radius: 8
        color: prompt.theme.card
        border.width: 2
        border.color: prompt.palette.highlight
    }
    Accessible.role: Accessible.Dialog
    Accessible.name: question.text

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Label {
            id: question
            objectName: "consentQuestion"
            Layout.fillWidth: true
            text: qsTr("%1 wants to use your work identity").arg(prompt.consent.name)
            font.bold: true
            font.pixelSize: 15
            wrapMode: Text.Wrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Label {
            objectName: "consentDetails"
            Layout.fillWidth: true
            text: {
                const program = prompt.consent.script ? qsTr("%1 (run by %2)").arg(prompt.consent.script).arg(prompt.consent.exe) : prompt.consent.exe;
                const scopes = (prompt.consent.scopes || []).join(" ");
                return scopes.length > 0 ? qsTr("Program: %1\nAccess: %2").arg(program).arg(scopes) : qsTr("Program: %1").arg(program);
            }
            wrapMode: Text.WrapAnywhere
            font.pixelSize: 12
            color: prompt.theme.secondaryText
            Accessible.name: text
        }
        Label {
            objectName: "consentExpiry"
            Layout.fillWidth: true
            visible: prompt.secondsLeft >= 0
            text: prompt.secondsLeft >= 60
                  ? qsTr("The app waits for your answer for %1 min %2 s more.").arg(Math.floor(prompt.secondsLeft / 60)).arg(prompt.secondsLeft % 60)
                  : qsTr("The app waits for your answer for %1 s more.").arg(prompt.secondsLeft)
            wrapMode: Text.Wrap
            font.pixelSize: 12
            color: prompt.theme.secondaryText
            Accessible.name: text
        }
        CheckBox {
            id: remember
            objectName: "consentRemember"
            text: qsTr("Remember my answer for this app")
            checked: true
            Accessible.name: text
        }
        RowLayout {
            spacing: 8
            Layout.fillWidth: true

            Button {
                id: allowButton
                objectName: "consentAllow"
                text: qsTr("Allow")
                highlighted: true
                onClicked: prompt.controller.answerConsent(prompt.consent.request, true, remember.checked)
                Accessible.name: qsTr("Allow %1 to use your work identity").arg(prompt.consent.name)
            }
            Button {
                objectName: "consentDeny"
                text: qsTr("Deny")
                onClicked: prompt.controller.answerConsent(prompt.consent.request, false, remember.checked)
                Accessible.name: qsTr("Deny %1 access to your work identity").arg(prompt.consent.name)
            }
        }
    }

    function focusAnswer() {
        allowButton.forceActiveFocus();
    }
}
