// SECURITY.md #11: when only the plain-text store is there, the person hears it before a secret is written.

export function PlaintextWarning({ location, future = false }: { location: string; future?: boolean }) {
  return (
    <div className="notice warn" role="note" aria-label="Plain-text storage">
      <p className="notice-title">{future ? 'Credentials will be stored in plain text' : 'Stored in plain text'}</p>
      <p>
        No system keyring is available, so the credentials {future ? 'will be' : 'are'} kept in a file only your user can open: <span className="path">{location}</span>.
        Anyone who can read your files can read them.
      </p>
    </div>
  );
}
