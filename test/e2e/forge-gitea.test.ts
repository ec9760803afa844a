/** @module Gitea (Forgejo) mode end to end: see forge-rest-suite.ts. */
import { forgeSuite } from './forge-rest-suite.ts';

forgeSuite('gitea');
