import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// The Signet window: one page per state of the agent and the session.
ApplicationWindow {
    id: window

    // Set by main.cpp (initial properties): the agent's socket, empty for the default one.
    property string socketPath
    property bool openBrowser: true
    // Whether the desktop has a system tray (main.cpp asks Qt Widgets): then a tray icon is shown.
    property bool trayEnabled: false
    property var tray: null
    // $SIGNET_SCREENSHOT_DIR (set by main.cpp): each page on show is saved there as
    // <n>-<page>.png, for end-to-end tests and the README's screenshots. Empty: none.
    property string screenshotDir
    property int screenshotCount: 0

    width: 460
    height: 420
    minimumWidth: 360
    minimumHeight: 320
    visible: true
    title: qsTr("Signet")

    // Light or dark like the desktop: the style's own palette does not follow the application's
    // (which the platform theme sets, and DesktopAppearance when the portal prefers dark), so the
    // window takes its colours from the system palette, and follows it when it changes.
    SystemPalette {
        id: system
        colorGroup: SystemPalette.Active
    }
    SystemPalette {
        id: systemDisabled
        colorGroup: SystemPalette.Disabled
    }
    palette.window: system.window
    palette.windowText: system.windowText
    palette.base: system.base
    palette.alternateBase: system.alternateBase
    palette.text: system.text
    palette.button: system.button
    palette.buttonText: system.buttonText
    palette.highlight: system.highlight
    palette.highlightedText: system.highlightedText
    palette.placeholderText: system.placeholderText
    palette.light: system.light
    palette.midlight: system.midlight
    palette.mid: system.mid
    palette.dark: system.dark
    palette.shadow: system.shadow
    palette.toolTipBase: system.window
    palette.toolTipText: system.windowText
    palette.disabled.windowText: systemDisabled.windowText
    palette.disabled.text: systemDisabled.text
    palette.disabled.buttonText: systemDisabled.buttonText
    palette.disabled.button: systemDisabled.button

    SessionController {
        id: session
        socketPath: window.socketPath
        openBrowser: window.openBrowser
        // An app waits for an answer that only this window can give: come to the front.
        onConsentRequested: {
            window.show();
            window.raise();
            window.requestActivate();
            window.alert(0);
        }
    }

    // Keyboard users see where the focus is: a control reached with Tab on a page that scrolls is
    // scrolled into view.
    onActiveFocusItemChanged: {
        const item = window.activeFocusItem;
        let flickable = item ? item.parent : null;
        while (flickable && !(flickable instanceof Flickable))
            flickable = flickable.parent;
        if (!flickable)
            return;
        const top = item.mapToItem(flickable.contentItem, 0, 0).y;
        if (top < flickable.contentY)
            flickable.contentY = Math.max(0, top - 8);
        else if (top + item.height > flickable.contentY + flickable.height)
            flickable.contentY = Math.min(flickable.contentHeight - flickable.height, top + item.height - flickable.height + 8);
    }

    // Prompts and the apps list change the signed-in page without changing pages: screenshots too.
    Connections {
        target: session
        enabled: window.screenshotDir.length > 0
        function onConsentRequestsChanged() { screenshotTimer.restart(); }
        function onAppsChanged() { screenshotTimer.restart(); }
        // The address arrives just after the waiting page appears: shoot the page once it shows it.
        function onSignInChanged() { if (window.pageNames[pages.currentIndex] === "signing-in") screenshotTimer.restart(); }
    }

    // Loaded by URL, not as a type: Qt.labs.platform is only imported where a tray exists.
    Component.onCompleted: {
        if (!window.trayEnabled)
            return;
        const component = Qt.createComponent("Tray.qml");
        if (component.status === Component.Ready)
            window.tray = component.createObject(window, {controller: session, window: window});
        else
            console.info("no tray icon:", component.errorString());
    }

    readonly property var pageNames: ["connecting", "agent-unavailable", "signin", "signing-in", "failure", "signed-in"]

    Timer {
        id: screenshotTimer
        interval: 400 // the page has laid out and rendered
        onTriggered: {
            const name = window.pageNames[pages.currentIndex];
            const file = window.screenshotDir + "/" + (++window.screenshotCount) + "-" + name + ".png";
            content.grabToImage(result => result.saveToFile(file));
        }
    }

    // The page area as one item, with the window's background, so that it can be grabbed whole.
    Item {
        id: content
        anchors.fill: parent

        Rectangle {
            anchors.fill: parent
            color: window.palette.window
        }

        StackLayout {
            id: pages
            objectName: "pages"

            onCurrentIndexChanged: if (window.screenshotDir.length > 0) screenshotTimer.restart()

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
            // The pages scroll when the window is small for their content (200 % scaling, long
            // translations); the signed-in page is a ScrollView itself.
            ScrollView {
                contentWidth: availableWidth

                AgentUnavailablePage {
                    width: parent.width
                    controller: session
                }
            }
            ScrollView {
                contentWidth: availableWidth

                SignInPage {
                    width: parent.width
                    controller: session
                }
            }
            ScrollView {
                contentWidth: availableWidth

                SigningInPage {
                    width: parent.width
                    controller: session
                }
            }
            ScrollView {
                contentWidth: availableWidth

                FailurePage {
                    width: parent.width
                    controller: session
                }
            }
            SignedInPage {
                controller: session
            }
        }
    }
}
