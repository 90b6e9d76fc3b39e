// A minimal action catalog for unit tests: the branching actions with the port rules the server
// states for them (`GET /api/v1/actions`; the server's API test checks the same rules).
import { useActions } from '../features/actions/hooks';
import type { ActionInfo } from '../lib/types';

const info = (kind: string, ports: ActionInfo['ports']): ActionInfo => ({
  kind,
  title: kind,
  description: '',
  config_schema: { type: 'object' },
  ports,
});

export function seedCatalog(): void {
  useActions.setState({
    actions: [
      info('http', null),
      info('set', null),
      info('respond', null),
      info('if', { keys_of: null, fixed: ['true', 'false'] }),
      info('switch', { keys_of: 'cases', fixed: ['default'] }),
    ],
    error: null,
    loading: false,
  });
}
