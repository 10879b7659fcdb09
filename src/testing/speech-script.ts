export * from '../media/speech-script.js';
