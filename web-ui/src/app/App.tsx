import { History, KeyRound, LogOut, Plug, Send, Server, Workflow as WorkflowIcon, type LucideIcon } from 'lucide-react';
import { useEffect, type MouseEvent } from 'react';
import { hasUnsavedChanges } from '../editor/hooks';
import { useAuth } from '../features/auth/hooks';
import { SignIn } from '../features/auth/components/SignIn';
import { restoreSession, signOut } from '../features/auth/api';
import { EditorPage } from '../editor/EditorPage';
import { CredentialsPage } from '../features/credentials/components/CredentialsPage';
import { DeliveriesPage } from '../features/deliveries/components/DeliveriesPage';
import { ExecutionsPage } from '../features/executions/components/ExecutionsPage';
import { ProcessesPage } from '../features/processes/components/ProcessesPage';
import { ConnectorsPage } from '../features/connectors/components/ConnectorsPage';
import { OpenExecution } from '../features/executions/components/OpenExecution';
import { WorkflowsPage } from '../features/workflows/components/WorkflowsPage';
import { href, useRoute } from './router';
import { ShortcutSheet } from './ShortcutSheet';
import { Toasts } from './Toasts';
import { IconButton } from './ui';

/** Asks before leaving the editor with unsaved changes. */
function guard(e: MouseEvent<HTMLAnchorElement>) {
  if (hasUnsavedChanges() && !window.confirm('Leave without saving? Your changes will be lost.')) e.preventDefault();
}

/** A page of the sidebar. */
function NavLink({ to, active, label, title, icon: Icon }: { to: 'workflows' | 'executions' | 'deliveries' | 'credentials' | 'connectors' | 'processes'; active: boolean; label: string; title?: string; icon: LucideIcon }) {
  return (
    <a className={`sidebar__link${active ? ' is-active' : ''}`} href={href({ name: to })} aria-label={label} title={title ?? label} data-testid={`nav-${to}`} onClick={guard}>
      <Icon size={20} aria-hidden />
    </a>
  );
}

export function App() {
  const status = useAuth((s) => s.status);
  const scope = useAuth((s) => s.session?.scope);
  const route = useRoute();
  useEffect(() => {
    if (useAuth.getState().status === 'checking') void restoreSession();
  }, []);
  if (status === 'checking') {
    return <div className="signin" aria-busy="true" data-testid="session-checking" />;
  }
  if (status !== 'signed-in') {
    return (
      <>
        <SignIn />
        <Toasts />
      </>
    );
  }
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <a className="sidebar__logo" href={href({ name: 'workflows' })} aria-label="Weft home" onClick={guard}>
          <Logo />
        </a>
        <NavLink to="workflows" active={route.name === 'workflows' || route.name === 'editor'} label="Workflows" icon={WorkflowIcon} />
        <NavLink to="executions" active={route.name === 'executions' || route.name === 'execution'} label="Executions" icon={History} />
        <NavLink to="deliveries" active={route.name === 'deliveries'} label="Deliveries" title="Deliveries (outgoing webhooks)" icon={Send} />
        <NavLink to="credentials" active={route.name === 'credentials'} label="Credentials" icon={KeyRound} />
        <NavLink to="connectors" active={route.name === 'connectors'} label="Connectors" title="Connectors (APIs imported from OpenAPI documents)" icon={Plug} />
        <NavLink to="processes" active={route.name === 'processes'} label="Processes" title="Processes (servers and workers)" icon={Server} />
        <span className="sidebar__spacer" />
        {scope === 'read' && (
          <span className="sidebar__badge" title="This API key is read-only: you can look, not change or run anything." data-testid="read-only-badge">
            read-only
          </span>
        )}
        <IconButton icon={LogOut} label="Sign out" className="sidebar__link" onClick={() => (!hasUnsavedChanges() || window.confirm('Sign out without saving? Your changes will be lost.')) && void signOut()} data-testid="sign-out" />
      </nav>
      <main className="shell__main">
        {route.name === 'workflows' && <WorkflowsPage />}
        {route.name === 'executions' && <ExecutionsPage />}
        {route.name === 'deliveries' && <DeliveriesPage key={route.id ?? ''} id={route.id} />}
        {route.name === 'credentials' && <CredentialsPage />}
        {route.name === 'processes' && <ProcessesPage />}
        {route.name === 'connectors' && <ConnectorsPage />}
        {route.name === 'execution' && <OpenExecution key={route.id} id={route.id} />}
        {route.name === 'editor' && <EditorPage key={route.id} id={route.id} executionId={route.executionId} />}
      </main>
      <ShortcutSheet />
      <Toasts />
    </div>
  );
}

export function Logo({ size = 30 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden>
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M7 10h18M7 16h18M7 22h18" stroke="#c7d2fe" strokeWidth="2.2" strokeLinecap="round" />
      <path d="M11 7v18M21 7v18" stroke="#fff" strokeWidth="2.6" strokeLinecap="round" />
    </svg>
  );
}
