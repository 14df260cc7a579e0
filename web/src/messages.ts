// The gateway's error messages come from the core, whose advice names the gateway's own routes
// (`POST /v1/providers/github/authorize`; latchkeyd's own commands, `latchkeyd store check`, too).
// In the page, such a message keeps what happened and names the page's own action instead; any
// other message is shown as the gateway wrote it.

/// A route or command in backticks, or a command-line flag.
const ADVICE_AT = /`(?:latchkeyd? |(?:GET|POST|PUT|PATCH|DELETE) \/)[^`]*`|(^|\s)--[a-z][a-z-]*/;

/// What the page says to do, for the messages that name a command (their code and wording).
const ADVICE: [RegExp, string][] = [
  [/needs to be authorized again/, ': choose Re-authenticate on its row'],
  [/no app credentials for/, ': an admin sets them with Add connection (or Edit on its row)'],
  [/managed app|set your app credentials/, ': an admin sets them with Edit on its row'],
  [/no connection to/, ': choose Authenticate (or Connect) on its row'],
  [/several '.*' connections/, ': choose the row of the account to use'],
  [/no (custom )?provider '/, ': it may have been removed; reload the page'],
  [/already registered/, ': choose another key'],
  [/no API key has the id/, ': it may have been revoked already; the list shows the keys there are'],
  [/uses the client credentials grant/, ' (choose Connect on its row)'],
  [/client credentials grant needs a client secret/, ': an admin sets one with Edit on its row'],
  [/client_secret_expires_at/, ': an admin removes the provider and adds the server again with Add connection'],
  [/signed_client_secret/, ': an admin chooses another method for the app'],
  [/device sign-in|before its code expired|denied at the provider/, '; choose Connect with a code to start again'],
  [/connection\(s\) use/, ': remove its connections first'],
];

export function pageMessage(message: string): string {
  const at = message.search(ADVICE_AT);
  if (at < 0) return message;
  // What happened: the message up to the clause that gives the command.
  const head = message.slice(0, at);
  const cut = Math.max(head.lastIndexOf(': '), head.lastIndexOf('; '), head.lastIndexOf(' ('));
  const what = (cut > 0 ? head.slice(0, cut) : head).trim();
  const advice = ADVICE.find(([re]) => re.test(message))?.[1] ?? '';
  return `${what}${advice}`;
}
