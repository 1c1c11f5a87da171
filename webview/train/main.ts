import "./train.css";
import {TrainApp, type TrainingViewVsCodeApi} from "./TrainApp";

declare function acquireVsCodeApi(): TrainingViewVsCodeApi;

const root = document.getElementById("belle-train");
if (root == null) throw new Error("the training view HTML lacks #belle-train");
new TrainApp(root, acquireVsCodeApi()).start();
