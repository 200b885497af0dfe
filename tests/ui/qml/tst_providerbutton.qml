import QtQuick
import QtQuick.Controls
import QtTest
import Signet.App

// ProviderButton: a button built from one entry of the `providers` answer (as the controller maps it).
Item {
    id: root
    width: 400
    height: 300

    Component {
        id: buttonComponent
        ProviderButton {
            width: 320
        }
    }

    SignalSpy {
        id: clicks
        signalName: "clicked"
    }

    TestCase {
        name: "ProviderButton"
        when: windowShown

        function provider(extra) {
            return Object.assign({id: "demo", displayName: "Demo", buttonText: "Sign in with Demo", logo: "qrc:/signet/providers/openid.svg",
                                  backgroundColor: "#3b5bdb", textColor: "#ffffff", available: true, problem: ""}, extra || {});
        }

        function test_textLogoAndColours() {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({buttonText: "Use your Demo account"})});
            verify(button);
            compare(button.text, "Use your Demo account");
            compare(button.objectName, "provider-demo");
            compare(button.Accessible.name, "Use your Demo account");
            const logo = findChild(button, "logo");
            tryCompare(logo, "status", Image.Ready); // the built-in SVG, through Qt's svg plugin
            verify(logo.visible);
            compare(findChild(button, "background").color, Qt.color("#3b5bdb"));
            compare(findChild(button, "label").color, Qt.color("#ffffff"));
        }

        function test_everyBuiltInLogoLoads_data() {
            return [{tag: "openid"}, {tag: "microsoft"}, {tag: "google"}, {tag: "github"}];
        }

        function test_everyBuiltInLogoLoads(data) {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({logo: "qrc:/signet/providers/" + data.tag + ".svg"})});
            tryCompare(findChild(button, "logo"), "status", Image.Ready);
        }

        function test_unbrandedUsesTheStyle() {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({backgroundColor: "", textColor: ""})});
            verify(!button.branded);
            compare(findChild(button, "background").color, button.palette.button);
            compare(findChild(button, "label").color, button.palette.buttonText);
        }

        function test_missingLogoIsHidden() {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({logo: "file:///nonexistent/logo.svg"})});
            const logo = findChild(button, "logo");
            tryVerify(() => logo.status === Image.Error);
            verify(!logo.visible);
        }

        function test_unavailableIsDisabledAndSaysWhy() {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({available: false, problem: "issuer is missing"})});
            verify(!button.enabled);
            compare(button.Accessible.description, "issuer is missing");
        }

        function test_clickAndKeyboard() {
            const button = createTemporaryObject(buttonComponent, root, {provider: provider()});
            clicks.clear();
            clicks.target = button;
            mouseClick(button);
            compare(clicks.count, 1);
            root.forceActiveFocus(); // the click gave it the focus "by mouse"
            button.forceActiveFocus(Qt.TabFocusReason);
            tryVerify(() => button.activeFocus, 2000, "the button takes the focus");
            verify(button.visualFocus, "focus by keyboard is visible");
            compare(findChild(button, "background").border.width, 3); // a visible focus ring
            keyClick(Qt.Key_Space);
            compare(clicks.count, 2);
        }

        function test_longTextWraps() {
            const longText = "Mit dem Identitätsanbieter Ihrer Organisation (Beispielkonzern Deutschland GmbH) anmelden";
            const button = createTemporaryObject(buttonComponent, root, {provider: provider({buttonText: longText}), width: 220});
            const label = findChild(button, "label");
            tryVerify(() => label.lineCount > 1, 2000, "the text wraps: " + label.width + " " + label.lineCount);
            tryVerify(() => button.height >= label.implicitHeight + button.topPadding + button.bottomPadding, 2000,
                      "the button grows with its text: " + button.height + " " + label.implicitHeight);
        }
    }
}
