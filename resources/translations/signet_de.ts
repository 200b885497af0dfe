<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>AgentUnavailablePage</name>
    <message>
        <source>The Signet agent is a different version</source>
        <translation>Der Signet-Agent hat eine andere Version</translation>
    </message>
    <message>
        <source>The Signet agent is not running</source>
        <translation>Der Signet-Agent läuft nicht</translation>
    </message>
    <message>
        <source>This window was started without XDG_RUNTIME_DIR, so it cannot find the agent. Start it from your desktop session instead of su or sudo.</source>
        <translation>Dieses Fenster wurde ohne XDG_RUNTIME_DIR gestartet und findet den Agenten deshalb nicht. Starten Sie es aus Ihrer Desktop-Sitzung statt über su oder sudo.</translation>
    </message>
    <message>
        <source>This window and signet-agent do not speak the same protocol. Install matching versions of both.</source>
        <translation>Dieses Fenster und signet-agent sprechen nicht dasselbe Protokoll. Installieren Sie zueinander passende Versionen.</translation>
    </message>
    <message>
        <source>Signet signs you in through signet-agent, a small program that runs in the background. Start it (for example, run “signet-agent &amp;” in a terminal); this window connects as soon as it runs.</source>
        <translation>Signet meldet Sie über signet-agent an, ein kleines Programm, das im Hintergrund läuft. Starten Sie es (zum Beispiel mit „signet-agent &amp;“ in einem Terminal); dieses Fenster verbindet sich, sobald es läuft.</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>Retry connecting to the agent</source>
        <translation>Erneut mit dem Agenten verbinden</translation>
    </message>
</context>
<context>
    <name>AppsList</name>
    <message>
        <source>Apps with access</source>
        <translation>Apps mit Zugriff</translation>
    </message>
    <message>
        <source>No app has access. Your organisation does not let other apps ask.</source>
        <translation>Keine App hat Zugriff. Ihre Organisation erlaubt anderen Apps nicht, danach zu fragen.</translation>
    </message>
    <message>
        <source>No app has access yet. When one asks, you decide here.</source>
        <translation>Noch hat keine App Zugriff. Wenn eine danach fragt, entscheiden Sie hier.</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>abgelehnt</translation>
    </message>
    <message>
        <source>all scopes</source>
        <translation>alle Berechtigungen</translation>
    </message>
    <message>
        <source>set by your organisation</source>
        <translation>von Ihrer Organisation festgelegt</translation>
    </message>
    <message>
        <source>allowed by you</source>
        <translation>von Ihnen erlaubt</translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation>%1 · %2 · %3</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>Vergessen</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>Entziehen</translation>
    </message>
    <message>
        <source>Forget the refusal for %1</source>
        <translation>Die Ablehnung für %1 vergessen</translation>
    </message>
    <message>
        <source>Revoke access for %1</source>
        <translation>Den Zugriff für %1 entziehen</translation>
    </message>
</context>
<context>
    <name>AttentionBanner</name>
    <message>
        <source>Attention needed: %1</source>
        <translation>Handlungsbedarf: %1</translation>
    </message>
    <message>
        <source>Your session ends soon and cannot be renewed automatically. Sign in again to keep working.</source>
        <translation>Ihre Sitzung endet bald und kann nicht automatisch verlängert werden. Melden Sie sich erneut an, um weiterzuarbeiten.</translation>
    </message>
    <message>
        <source>Sign in again</source>
        <translation>Erneut anmelden</translation>
    </message>
    <message>
        <source>Sign in again with %1</source>
        <translation>Erneut mit %1 anmelden</translation>
    </message>
</context>
<context>
    <name>ConnectingPage</name>
    <message>
        <source>Connecting to the Signet agent</source>
        <translation>Verbindung zum Signet-Agenten wird hergestellt</translation>
    </message>
    <message>
        <source>Connecting to the Signet agent…</source>
        <translation>Verbindung zum Signet-Agenten wird hergestellt …</translation>
    </message>
</context>
<context>
    <name>ConsentPrompt</name>
    <message>
        <source>%1 wants to use your work identity</source>
        <translation>%1 möchte Ihre berufliche Identität verwenden</translation>
    </message>
    <message>
        <source>%1 (run by %2)</source>
        <translation>%1 (ausgeführt von %2)</translation>
    </message>
    <message>
        <source>Program: %1
Access: %2</source>
        <translation>Programm: %1
Zugriff: %2</translation>
    </message>
    <message>
        <source>Program: %1</source>
        <translation>Programm: %1</translation>
    </message>
    <message>
        <source>Remember my answer for this app</source>
        <translation>Meine Antwort für diese App merken</translation>
    </message>
    <message>
        <source>Allow</source>
        <translation>Erlauben</translation>
    </message>
    <message>
        <source>Allow %1 to use your work identity</source>
        <translation>%1 erlauben, Ihre berufliche Identität zu verwenden</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <source>Deny %1 access to your work identity</source>
        <translation>%1 den Zugriff auf Ihre berufliche Identität verweigern</translation>
    </message>
    <message>
        <source>The app waits for your answer for %1 min %2 s more.</source>
        <translation>Die App wartet noch %1 Min. %2 s auf Ihre Antwort.</translation>
    </message>
    <message>
        <source>The app waits for your answer for %1 s more.</source>
        <translation>Die App wartet noch %1 s auf Ihre Antwort.</translation>
    </message>
</context>
<context>
    <name>FailurePage</name>
    <message>
        <source>Signing in did not work</source>
        <translation>Die Anmeldung hat nicht funktioniert</translation>
    </message>
    <message>
        <source>Details:</source>
        <translation>Einzelheiten:</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>Try signing in again</source>
        <translation>Die Anmeldung erneut versuchen</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Back to the sign-in choices</source>
        <translation>Zurück zur Auswahl der Anmeldung</translation>
    </message>
</context>
<context>
    <name>IdentityCard</name>
    <message>
        <source>The session has expired.</source>
        <translation>Die Sitzung ist abgelaufen.</translation>
    </message>
    <message>
        <source>Session ends in less than a minute.</source>
        <translation>Die Sitzung endet in weniger als einer Minute.</translation>
    </message>
    <message>
        <source>Session ends in %1 min.</source>
        <translation>Die Sitzung endet in %1 Min.</translation>
    </message>
    <message>
        <source>Session ends in %1 h %2 min.</source>
        <translation>Die Sitzung endet in %1 Std. %2 Min.</translation>
    </message>
    <message>
        <source>Signed-in identity</source>
        <translation>Angemeldete Identität</translation>
    </message>
    <message>
        <source>Picture of %1</source>
        <translation>Bild von %1</translation>
    </message>
    <message>
        <source>Initials of %1</source>
        <translation>Initialen von %1</translation>
    </message>
    <message>
        <source>Name: %1</source>
        <translation>Name: %1</translation>
    </message>
    <message>
        <source>%1 (not verified)</source>
        <translation>%1 (nicht bestätigt)</translation>
    </message>
    <message>
        <source>E-mail: %1</source>
        <translation>E-Mail: %1</translation>
    </message>
    <message>
        <source>Signed in with %1</source>
        <translation>Angemeldet über %1</translation>
    </message>
    <message>
        <source>Some roles could not be determined; apps may offer you less than usual.</source>
        <translation>Einige Rollen konnten nicht ermittelt werden; Apps bieten Ihnen möglicherweise weniger als sonst an.</translation>
    </message>
    <message>
        <source>Renewal failed.</source>
        <translation>Die Verlängerung ist fehlgeschlagen.</translation>
    </message>
    <message>
        <source>It cannot be renewed without you: sign in again before it ends.</source>
        <translation>Sie kann nicht ohne Sie verlängert werden: Melden Sie sich erneut an, bevor sie endet.</translation>
    </message>
    <message>
        <source>Renews automatically while you work.</source>
        <translation>Wird automatisch verlängert, während Sie arbeiten.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Signet</source>
        <translation>Signet</translation>
    </message>
</context>
<context>
    <name>ProviderButton</name>
    <message>
        <source>Sign in with %1</source>
        <translation>Mit %1 anmelden</translation>
    </message>
</context>
<context>
    <name>RoleChip</name>
    <message>
        <source>Role: %1</source>
        <translation>Rolle: %1</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <source>Sign in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Choose your organisation&apos;s sign-in:</source>
        <translation>Wählen Sie die Anmeldung Ihrer Organisation:</translation>
    </message>
    <message>
        <source>No identity provider is configured. Add one to ~/.config/signet/signet.conf (or ask your administrator) and restart signet-agent.</source>
        <translation>Es ist kein Identitätsanbieter eingerichtet. Tragen Sie einen in ~/.config/signet/signet.conf ein (oder fragen Sie Ihre Administration) und starten Sie signet-agent neu.</translation>
    </message>
    <message>
        <source>Use a code on another device</source>
        <translation>Einen Code auf einem anderen Gerät verwenden</translation>
    </message>
    <message>
        <source>Sign in with %1 using a code on another device</source>
        <translation>Mit %1 über einen Code auf einem anderen Gerät anmelden</translation>
    </message>
    <message>
        <source>Unavailable: %1</source>
        <translation>Nicht verfügbar: %1</translation>
    </message>
    <message>
        <source>Message from your IT department: %1</source>
        <translation>Nachricht Ihrer IT-Abteilung: %1</translation>
    </message>
</context>
<context>
    <name>SignedInPage</name>
    <message>
        <source>Signed in</source>
        <translation>Angemeldet</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Abmelden</translation>
    </message>
</context>
<context>
    <name>Signet::SessionController</name>
    <message>
        <source>The Signet agent is not running.</source>
        <translation>Der Signet-Agent läuft nicht.</translation>
    </message>
    <message>
        <source>This window cannot find the Signet agent.</source>
        <translation>Dieses Fenster findet den Signet-Agenten nicht.</translation>
    </message>
    <message>
        <source>This window and the Signet agent are different versions.</source>
        <translation>Dieses Fenster und der Signet-Agent haben verschiedene Versionen.</translation>
    </message>
    <message>
        <source>This sign-in option is no longer configured.</source>
        <translation>Diese Anmeldemöglichkeit ist nicht mehr eingerichtet.</translation>
    </message>
    <message>
        <source>Nobody is signed in.</source>
        <translation>Niemand ist angemeldet.</translation>
    </message>
    <message>
        <source>Another sign-in is already running.</source>
        <translation>Eine andere Anmeldung läuft bereits.</translation>
    </message>
    <message>
        <source>The sign-in was cancelled.</source>
        <translation>Die Anmeldung wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The sign-in took too long.</source>
        <translation>Die Anmeldung hat zu lange gedauert.</translation>
    </message>
    <message>
        <source>The sign-in was declined.</source>
        <translation>Die Anmeldung wurde abgelehnt.</translation>
    </message>
    <message>
        <source>The identity provider answered with something Signet cannot accept.</source>
        <translation>Der Identitätsanbieter hat mit etwas geantwortet, das Signet nicht annehmen kann.</translation>
    </message>
    <message>
        <source>The identity provider could not be reached.</source>
        <translation>Der Identitätsanbieter war nicht erreichbar.</translation>
    </message>
    <message>
        <source>Your organisation does not allow this account to sign in here.</source>
        <translation>Ihre Organisation erlaubt diesem Konto nicht, sich hier anzumelden.</translation>
    </message>
    <message>
        <source>Your sign-in could not be stored safely.</source>
        <translation>Ihre Anmeldung konnte nicht sicher gespeichert werden.</translation>
    </message>
    <message>
        <source>Signet is not configured correctly.</source>
        <translation>Signet ist nicht richtig eingerichtet.</translation>
    </message>
    <message>
        <source>Something went wrong in Signet.</source>
        <translation>In Signet ist etwas schiefgegangen.</translation>
    </message>
    <message>
        <source>Start signet-agent; this window connects as soon as it runs.</source>
        <translation>Starten Sie signet-agent; dieses Fenster verbindet sich, sobald er läuft.</translation>
    </message>
    <message>
        <source>Start Signet from your desktop session, not through su or sudo.</source>
        <translation>Starten Sie Signet aus Ihrer Desktop-Sitzung, nicht über su oder sudo.</translation>
    </message>
    <message>
        <source>Install matching versions of signet and signet-agent.</source>
        <translation>Installieren Sie zueinander passende Versionen von signet und signet-agent.</translation>
    </message>
    <message>
        <source>Ask your IT department to check the Signet configuration.</source>
        <translation>Bitten Sie Ihre IT-Abteilung, die Einrichtung von Signet zu prüfen.</translation>
    </message>
    <message>
        <source>Sign in first.</source>
        <translation>Melden Sie sich zuerst an.</translation>
    </message>
    <message>
        <source>Finish or cancel the other sign-in, then try again.</source>
        <translation>Schließen Sie die andere Anmeldung ab oder brechen Sie sie ab und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Start the sign-in again and finish it in your browser.</source>
        <translation>Starten Sie die Anmeldung erneut und schließen Sie sie im Browser ab.</translation>
    </message>
    <message>
        <source>Try again and accept the request at the sign-in page, or choose another account.</source>
        <translation>Versuchen Sie es erneut und bestätigen Sie die Anfrage auf der Anmeldeseite, oder wählen Sie ein anderes Konto.</translation>
    </message>
    <message>
        <source>Try again in a few minutes. If it keeps failing, tell your IT department what the details below say.</source>
        <translation>Versuchen Sie es in ein paar Minuten erneut. Wenn es weiter fehlschlägt, teilen Sie Ihrer IT-Abteilung die Einzelheiten unten mit.</translation>
    </message>
    <message>
        <source>Check your network connection (and VPN), then try again.</source>
        <translation>Prüfen Sie Ihre Netzwerkverbindung (und das VPN) und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Sign in with your work account. The details below say why this one was refused and whom to ask.</source>
        <translation>Melden Sie sich mit Ihrem Arbeitskonto an. Die Einzelheiten unten sagen, warum dieses abgelehnt wurde und an wen Sie sich wenden können.</translation>
    </message>
    <message>
        <source>Unlock your keyring (your login password usually does it), then try again.</source>
        <translation>Entsperren Sie Ihren Schlüsselbund (meist mit Ihrem Anmeldepasswort) und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Try again. If it keeps failing, tell your IT department what the details below say.</source>
        <translation>Versuchen Sie es erneut. Wenn es weiter fehlschlägt, teilen Sie Ihrer IT-Abteilung die Einzelheiten unten mit.</translation>
    </message>
    <message>
        <source>This window speaks version %1 of the Signet protocol and the agent does not (%2). Install matching versions of signet and signet-agent.</source>
        <translation>Dieses Fenster spricht Version %1 des Signet-Protokolls, der Agent nicht (%2). Installieren Sie zueinander passende Versionen von signet und signet-agent.</translation>
    </message>
    <message>
        <source>The sign-in failed (%1).</source>
        <translation>Die Anmeldung ist fehlgeschlagen (%1).</translation>
    </message>
    <message>
        <source>The app&apos;s access could not be withdrawn (%1).</source>
        <translation>Der Zugriff der App konnte nicht entzogen werden (%1).</translation>
    </message>
    <message>
        <source>Your session could not be renewed. Sign in again to keep working.</source>
        <translation>Ihre Sitzung konnte nicht verlängert werden. Melden Sie sich erneut an, um weiterzuarbeiten.</translation>
    </message>
    <message>
        <source>Your session with %1 expired. Sign in again to continue.</source>
        <translation>Ihre Sitzung bei %1 ist abgelaufen. Melden Sie sich erneut an, um fortzufahren.</translation>
    </message>
    <message>
        <source>%1 ended your session (it was revoked or replaced). Sign in again to continue.</source>
        <translation>%1 hat Ihre Sitzung beendet (sie wurde widerrufen oder ersetzt). Melden Sie sich erneut an, um fortzufahren.</translation>
    </message>
    <message>
        <source>No browser could be opened. Copy the address below into your browser.</source>
        <translation>Es konnte kein Browser geöffnet werden. Kopieren Sie die Adresse unten in Ihren Browser.</translation>
    </message>
    <message>
        <source>Sign in with %1</source>
        <translation>Mit %1 anmelden</translation>
    </message>
</context>
<context>
    <name>Signet::SingleInstance</name>
    <message>
        <source>XDG_RUNTIME_DIR is not set, so other Signet windows cannot be found.</source>
        <translation>XDG_RUNTIME_DIR ist nicht gesetzt, daher lassen sich andere Signet-Fenster nicht finden.</translation>
    </message>
    <message>
        <source>Cannot create %1.</source>
        <translation>%1 kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Another Signet window seems to run but does not answer; starting anyway.</source>
        <translation>Ein anderes Signet-Fenster scheint zu laufen, antwortet aber nicht; es wird trotzdem gestartet.</translation>
    </message>
    <message>
        <source>Cannot listen on %1: %2</source>
        <translation>Auf %1 kann nicht gelauscht werden: %2</translation>
    </message>
</context>
<context>
    <name>SigningInPage</name>
    <message>
        <source>Enter the code on another device</source>
        <translation>Geben Sie den Code auf einem anderen Gerät ein</translation>
    </message>
    <message>
        <source>Finish signing in in your browser…</source>
        <translation>Schließen Sie die Anmeldung im Browser ab …</translation>
    </message>
    <message>
        <source>Finish signing in in the sign-in window…</source>
        <translation>Schließen Sie die Anmeldung im Anmeldefenster ab …</translation>
    </message>
    <message>
        <source>On a phone or another computer, open %1 and enter this code. Only enter it if you started this sign-in yourself.</source>
        <translation>Öffnen Sie auf einem Telefon oder einem anderen Computer %1 und geben Sie diesen Code ein. Geben Sie ihn nur ein, wenn Sie diese Anmeldung selbst gestartet haben.</translation>
    </message>
    <message>
        <source>Code to enter: %1</source>
        <translation>Einzugebender Code: %1</translation>
    </message>
    <message>
        <source>Signing in with %1. Your browser shows the sign-in page; this window updates when you are done.</source>
        <translation>Anmeldung über %1. Ihr Browser zeigt die Anmeldeseite; dieses Fenster aktualisiert sich, wenn Sie fertig sind.</translation>
    </message>
    <message>
        <source>Signing in with %1. Open the address below in your browser; this window updates when you are done.</source>
        <translation>Anmeldung über %1. Öffnen Sie die Adresse unten in Ihrem Browser; dieses Fenster aktualisiert sich, wenn Sie fertig sind.</translation>
    </message>
    <message>
        <source>Waiting for the sign-in address</source>
        <translation>Warten auf die Anmeldeadresse</translation>
    </message>
    <message>
        <source>Sign-in address:</source>
        <translation>Anmeldeadresse:</translation>
    </message>
    <message>
        <source>Sign-in address</source>
        <translation>Anmeldeadresse</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
    <message>
        <source>Copy address</source>
        <translation>Adresse kopieren</translation>
    </message>
    <message>
        <source>Copy the sign-in address</source>
        <translation>Die Anmeldeadresse kopieren</translation>
    </message>
    <message>
        <source>Open browser</source>
        <translation>Browser öffnen</translation>
    </message>
    <message>
        <source>Open the sign-in address in the browser again</source>
        <translation>Die Anmeldeadresse erneut im Browser öffnen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel signing in</source>
        <translation>Die Anmeldung abbrechen</translation>
    </message>
    <message>
        <source>Signing in with %1. The sign-in page is open in a window of its own; this window updates when you are done.</source>
        <translation>Anmeldung über %1. Die Anmeldeseite ist in einem eigenen Fenster geöffnet; dieses Fenster aktualisiert sich, wenn Sie fertig sind.</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Signet: the agent is not running</source>
        <translation>Signet: Der Agent läuft nicht</translation>
    </message>
    <message>
        <source>Signet: an app is waiting for your answer</source>
        <translation>Signet: Eine App wartet auf Ihre Antwort</translation>
    </message>
    <message>
        <source>Signet: sign in again soon</source>
        <translation>Signet: Bitte bald erneut anmelden</translation>
    </message>
    <message>
        <source>Signet: signed in as %1</source>
        <translation>Signet: angemeldet als %1</translation>
    </message>
    <message>
        <source>Signet: not signed in</source>
        <translation>Signet: nicht angemeldet</translation>
    </message>
    <message>
        <source>Open Signet</source>
        <translation>Signet öffnen</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Abmelden</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
</context>
<context>
    <name>WebView</name>
    <message>
        <source>Sign in — Signet</source>
        <translation>Anmelden – Signet</translation>
    </message>
    <message>
        <source>Secure connection to %1</source>
        <translation>Sichere Verbindung zu %1</translation>
    </message>
    <message>
        <source>Connection to %1</source>
        <translation>Verbindung zu %1</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Close the sign-in page</source>
        <translation>Die Anmeldeseite schließen</translation>
    </message>
</context>
</TS>
