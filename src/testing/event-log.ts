export { EventLog } from '../client/event-log.js';
